# Shared by the benchmark scripts: source it, then `bench_setup BUILD_DIR`. Sets $exe (the build's
# hybridscope) and $work (a private folder, removed at exit, made the current directory), and lets
# Open MPI run as root.
bench_setup() {
  exe=$(cd "$1" && pwd)/bin/hybridscope
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cd "$work" || exit 1
  [ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
}
