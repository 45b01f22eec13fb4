#include "hybridscope/h5/parallel.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include <zlib.h>

#include "hybridscope/h5/api.hpp"
#include "hybridscope/h5/detail.hpp"
#include "hybridscope/mpi/session.hpp"

namespace hybridscope::h5 {

using detail::check;

namespace {

// Rows per chunk of a column: large enough to compress well, small enough to keep memory flat.
constexpr std::uint64_t kChunkRows = 1 << 16;
// Deflate level: 1 compresses intervals about as well as 6, several times faster.
constexpr unsigned kDeflateLevel = 1;

Handle create_parallel(const std::string& path, MPI_Comm comm) {
  detail::silence_error_printing();
  Handle access(check(H5Pcreate(H5P_FILE_ACCESS), "create file access list"), H5Pclose);
  // ROMIO's data-sieving writes lock the region they rewrite (fcntl) and, when the write fails on
  // a full disk, return without unlocking it: the next rank to write there waited in fcntl forever
  // (tests/faults/test_disk_full.sh). Without data sieving no write takes a lock; OMPIO ignores
  // the hint. HDF5 copies the info, so it is freed at once.
  MPI_Info hints = MPI_INFO_NULL;
  MPI_Info_create(&hints);
  MPI_Info_set(hints, "romio_ds_write", "disable");
  const herr_t set = H5Pset_fapl_mpio(access.get(), comm, hints);
  MPI_Info_free(&hints);
  check(set, "set MPI-IO file access");
  // Metadata reads and writes by all ranks together: no rank reads the file alone at open.
  check(H5Pset_all_coll_metadata_ops(access.get(), true), "set collective metadata reads");
  check(H5Pset_coll_metadata_write(access.get(), true), "set collective metadata writes");
  // The file format of HDF5 1.8 and later (superblock v2, object header v2, dense link and
  // attribute storage): every piece of metadata carries a checksum, so that a damaged header,
  // extent or attribute is an error when read instead of a wrong number. 1.10 is the newest
  // format this HDF5 knows; only what needs it (nothing we write today) would use it.
  check(H5Pset_libver_bounds(access.get(), H5F_LIBVER_V18, H5F_LIBVER_V110), "set the file format versions");
  return {check(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, access.get()), fmt::format("create '{}'", path)),
          H5Fclose};
}

// HDF5's shuffle filter: byte b of every value, then byte b + 1 of every value, ... (a value's bytes
// spelled out, which GCC would not unroll: twice as fast).
template <std::size_t... B>
void shuffle(const unsigned char* from, std::uint64_t rows, std::uint64_t chunk_rows, unsigned char* to,
             std::index_sequence<B...>) {
  constexpr std::size_t size = sizeof...(B);
  for (std::uint64_t i = 0; i < rows; ++i) ((to[B * chunk_rows + i] = from[i * size + B]), ...);
}

}  // namespace

std::uint64_t chunk_rows(std::uint64_t total_rows) { return std::clamp<std::uint64_t>(total_rows, 1, kChunkRows); }

bool filter_chunk(const void* data, std::uint64_t rows, std::uint64_t chunk_rows, std::size_t size,
                  std::vector<unsigned char>& out) {
  const auto* from = static_cast<const unsigned char*>(data);
  const std::size_t bytes = chunk_rows * size;
  // Kept per thread: a fresh half-megabyte buffer per chunk costs page faults, not only a memset.
  thread_local std::vector<unsigned char> shuffled;
  shuffled.resize(bytes);
  switch (size) {
    case 1: std::copy(from, from + rows, shuffled.data()); break;
    case 2: shuffle(from, rows, chunk_rows, shuffled.data(), std::make_index_sequence<2>()); break;
    case 4: shuffle(from, rows, chunk_rows, shuffled.data(), std::make_index_sequence<4>()); break;
    case 8: shuffle(from, rows, chunk_rows, shuffled.data(), std::make_index_sequence<8>()); break;
    default:
      for (std::uint64_t i = 0; i < rows; ++i)
        for (std::size_t b = 0; b < size; ++b) shuffled[b * chunk_rows + i] = from[i * size + b];
  }
  for (std::size_t b = 0; b < size && rows < chunk_rows; ++b)
    std::fill(shuffled.begin() + std::ptrdiff_t(b * chunk_rows + rows), shuffled.begin() + std::ptrdiff_t((b + 1) * chunk_rows), 0);
  // Compressed into a buffer kept per thread too: growing `out` to the bound would zero it first.
  thread_local std::vector<unsigned char> packed_bytes;
  uLongf packed = compressBound(bytes);
  packed_bytes.resize(packed);
  if (compress2(packed_bytes.data(), &packed, shuffled.data(), bytes, kDeflateLevel) != Z_OK) return false;
  const std::uint32_t sum = detail::fletcher32(packed_bytes.data(), packed);
  out.assign(packed_bytes.begin(), packed_bytes.begin() + std::ptrdiff_t(packed));
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(sum >> (8 * i)));
  return true;
}

// The creation fails on all ranks or none (the file exists, the directory is not writable), so
// the ranks can agree on it; writes and closes cannot (see timeline::write).
ParallelFile::ParallelFile(const std::string& path, MPI_Comm comm)
    : comm_(comm), file_(mpi::on_every_rank(comm, [&] { return create_parallel(path, comm); })) {}

void ParallelFile::set_attribute(const std::string& name, std::string_view value) {
  auto type = detail::string_type(value.size());
  std::string padded(value);
  padded.resize(std::max<std::size_t>(1, value.size()), '\0');
  detail::write_attribute(file_.get(), name, type.get(), padded.data());
}

void ParallelFile::set_attribute(const std::string& name, std::int64_t value) {
  detail::write_attribute(file_.get(), name, H5T_NATIVE_INT64, &value);
}

void ParallelFile::set_attribute(const std::string& name, double value) {
  detail::write_attribute(file_.get(), name, H5T_NATIVE_DOUBLE, &value);
}

void ParallelFile::flush_to_storage() {
  // With the MPI-IO driver a global flush ends in MPI_File_sync on every rank.
  check(H5Fflush(file_.get(), H5F_SCOPE_GLOBAL), "flush the file to storage");
}

void ParallelFile::close(std::string_view what) { file_.close(what); }

namespace {

std::uint64_t offset_of(std::uint64_t local_rows, MPI_Comm comm) {
  std::uint64_t offset = 0;
  MPI_Exscan(&local_rows, &offset, 1, MPI_UINT64_T, MPI_SUM, comm);
  return mpi::rank(comm) == 0 ? 0 : offset;  // MPI_Exscan leaves rank 0's result undefined
}

std::uint64_t sum_of(std::uint64_t local_rows, MPI_Comm comm) {
  std::uint64_t total = 0;
  MPI_Allreduce(&local_rows, &total, 1, MPI_UINT64_T, MPI_SUM, comm);
  return total;
}

}  // namespace

Table::Table(ParallelFile& file, const std::string& name, std::uint64_t local_rows)
    : Table(file, name, sum_of(local_rows, file.comm()), {{offset_of(local_rows, file.comm()), local_rows}}) {}

Table::Table(ParallelFile& file, const std::string& name, std::uint64_t total_rows, std::vector<RowSpan> spans)
    : comm_(file.comm()),
      group_(check(H5Gcreate2(file.id(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                   fmt::format("create group '{}'", name)),
             H5Gclose),
      spans_(std::move(spans)),
      total_(total_rows),
      chunk_rows_(h5::chunk_rows(total_rows)),
      single_writer_(mpi::size(comm_) == 1) {
  transfer_ = Handle(check(H5Pcreate(H5P_DATASET_XFER), "create transfer list"), H5Pclose);
  check(H5Pset_dxpl_mpio(transfer_.get(), H5FD_MPIO_COLLECTIVE), "set collective transfer");
}

template <typename T>
Column Table::add_column(const std::string& name, std::string_view unit) {
  return create(name, detail::owned_type<T>(), unit);
}
template Column Table::add_column<std::uint8_t>(const std::string&, std::string_view);
template Column Table::add_column<std::int16_t>(const std::string&, std::string_view);
template Column Table::add_column<std::uint16_t>(const std::string&, std::string_view);
template Column Table::add_column<std::int32_t>(const std::string&, std::string_view);
template Column Table::add_column<std::uint32_t>(const std::string&, std::string_view);
template Column Table::add_column<std::int64_t>(const std::string&, std::string_view);
template Column Table::add_column<std::uint64_t>(const std::string&, std::string_view);
template Column Table::add_column<double>(const std::string&, std::string_view);

Column Table::add_enum_column(const std::string& name, const std::vector<std::string_view>& enum_names) {
  Handle type(check(H5Tenum_create(H5T_NATIVE_UINT8), "create enum type"), H5Tclose);
  for (std::size_t i = 0; i < enum_names.size(); ++i) {
    const auto code = static_cast<std::uint8_t>(i);
    check(H5Tenum_insert(type.get(), std::string(enum_names[i]).c_str(), &code), "insert enum value");
  }
  return create(name, std::move(type), {});
}

Column Table::create(const std::string& name, Handle type, std::string_view unit) {
  const hsize_t dims[1] = {total_};
  Handle space(check(H5Screate_simple(1, dims, nullptr), "create dataspace"), H5Sclose);
  Handle create(check(H5Pcreate(H5P_DATASET_CREATE), "create dataset list"), H5Pclose);
  const hsize_t chunk[1] = {chunk_rows_};
  check(H5Pset_chunk(create.get(), 1, chunk), "set chunking");
  check(H5Pset_shuffle(create.get()), "set shuffle filter");
  check(H5Pset_deflate(create.get(), kDeflateLevel), "set deflate filter");
  // A checksum per chunk, so that a chunk the file system lost is noticed when read.
  check(H5Pset_fletcher32(create.get()), "set checksum filter");
  // Chunks are written whole and once; skip filling them with a value first.
  check(H5Pset_fill_time(create.get(), H5D_FILL_TIME_NEVER), "set fill time");
  check(H5Pset_alloc_time(create.get(), H5D_ALLOC_TIME_INCR), "set allocation time");
  Handle dataset(check(H5Dcreate2(group_.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                                  create.get(), H5P_DEFAULT),
                       fmt::format("create dataset '{}'", name)),
                 H5Dclose);
  if (!unit.empty()) {
    auto unit_type = detail::string_type(unit.size());
    const std::string text(unit);
    detail::write_attribute(dataset.get(), "unit", unit_type.get(), text.data());
  }
  const auto bytes = H5Tget_size(type.get());
  return {std::move(dataset), std::move(type), bytes};
}

void Table::select(Handle::Id file_space, std::uint64_t first, std::uint64_t count) const {
  check(H5Sselect_none(file_space), "select no rows");
  std::uint64_t stream = 0;  // this process's rows before the span
  for (const auto& span : spans_) {
    const std::uint64_t from = std::max(first, stream), to = std::min(first + count, stream + span.count);
    if (from < to) {
      const hsize_t start[1] = {span.first + (from - stream)};
      const hsize_t size[1] = {to - from};
      check(H5Sselect_hyperslab(file_space, H5S_SELECT_OR, start, nullptr, size, nullptr), "select rows");
    }
    stream += span.count;
  }
}

void Table::write(Column& column, std::uint64_t first, std::uint64_t count, const void* data) {
  Handle file_space(check(H5Dget_space(column.dataset_.get()), "get dataspace"), H5Sclose);
  select(file_space.get(), first, count);
  const hsize_t memory_size[1] = {std::max<hsize_t>(count, 1)};
  Handle memory_space(check(H5Screate_simple(1, memory_size, nullptr), "create memory space"), H5Sclose);
  if (count == 0) check(H5Sselect_none(memory_space.get()), "select no memory");
  check(H5Dwrite(column.dataset_.get(), column.type_.get(), memory_space.get(), file_space.get(), transfer_.get(),
                 data),
        "write rows");
}

void Table::write_chunk(Column& column, std::uint64_t index, const void* filtered, std::size_t bytes) {
  if (!single_writer_ || index * chunk_rows_ >= total_)
    throw H5Error(fmt::format("HDF5: cannot write chunk {} of a table of {} rows itself", index, total_));
  const hsize_t offset[1] = {index * chunk_rows_};
  check(H5Dwrite_chunk(column.dataset_.get(), H5P_DEFAULT, 0, offset, bytes, filtered), "write a chunk");
}

void Table::strings(const std::string& name, const std::vector<std::string>& values) {
  std::uint64_t width = 1;
  for (const auto& v : values) width = std::max<std::uint64_t>(width, v.size());
  MPI_Allreduce(MPI_IN_PLACE, &width, 1, MPI_UINT64_T, MPI_MAX, comm_);
  std::vector<char> packed(values.size() * width, '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    std::memcpy(packed.data() + i * width, values[i].data(), values[i].size());
  auto column = create(name, detail::string_type(width), {});
  write(column, 0, values.size(), packed.data());
  column.close(fmt::format("close dataset '{}'", name));
}

}  // namespace hybridscope::h5
