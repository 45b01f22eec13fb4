#pragma once
// The HDF5 C API as h5.cpp and parallel.cpp call it: the library is loaded when first called, not
// when the program starts. Most ranks of a run never touch HDF5 (only node leaders write the
// timeline), and Debian's HDF5 brings some 30 libraries with it (libcurl and its TLS stack for the
// S3 driver): 4-5 ms of loading per process, paid one after the other by ranks that outnumber
// cores (docs/benchmarks.md, issue 17). Every function below is a pointer named as the function:
// calls read as plain HDF5 calls; each pointer starts at a stub that loads the library, then
// calls the real function. The identifiers HDF5's macros name (H5T_NATIVE_INT64, H5P_FILE_ACCESS)
// go through H5open(), which loads it too.
#include <hdf5.h>

namespace hybridscope::h5::api {

#define HYBRIDSCOPE_H5_FUNCTIONS(X)                                                                        \
  X(H5Aclose) X(H5Acreate2) X(H5Aget_num_attrs) X(H5Aget_space) X(H5Aget_type) X(H5Aopen) X(H5Aopen_by_idx) \
  X(H5Aread) X(H5Awrite) X(H5Dclose) X(H5Dcreate2) X(H5Dget_chunk_info_by_coord) X(H5Dget_chunk_storage_size) \
  X(H5Dget_create_plist) X(H5Dget_space) X(H5Dget_storage_size) X(H5Dget_type) X(H5Dopen2) X(H5Dread)       \
  X(H5Dread_chunk) X(H5Dwrite) X(H5Dwrite_chunk) X(H5Eclear2) X(H5Eset_auto2) X(H5Ewalk2) X(H5Fclose)        \
  X(H5Fcreate) X(H5Fflush) X(H5Fget_filesize) X(H5Fopen) X(H5Gclose) X(H5Gcreate2) X(H5Lexists) X(H5Oclose) \
  X(H5Oopen) X(H5Ovisit2) X(H5Pclose) X(H5Pcreate) X(H5Pget_chunk) X(H5Pget_layout) X(H5Pget_nfilters)      \
  X(H5Pset_all_coll_metadata_ops) X(H5Pset_alloc_time) X(H5Pset_chunk) X(H5Pset_coll_metadata_write)        \
  X(H5Pset_deflate) X(H5Pset_dxpl_mpio) X(H5Pset_fapl_mpio) X(H5Pset_fill_time) X(H5Pset_fletcher32)        \
  X(H5Pset_libver_bounds) X(H5Pset_shuffle) X(H5Sclose) X(H5Screate) X(H5Screate_simple)                      \
  X(H5Sget_simple_extent_dims) X(H5Sget_simple_extent_ndims) X(H5Sget_simple_extent_npoints)                \
  X(H5Sselect_hyperslab) X(H5Sselect_none) X(H5Tclose) X(H5Tcopy) X(H5Tenum_create) X(H5Tenum_insert)        \
  X(H5Tget_class) X(H5Tget_member_name) X(H5Tget_member_value) X(H5Tget_native_type) X(H5Tget_nmembers)      \
  X(H5Tget_sign) X(H5Tget_size) X(H5Tget_super) X(H5Tis_variable_str) X(H5Tset_cset) X(H5Tset_size)          \
  X(H5Tset_strpad) X(H5check_version) X(H5free_memory) X(H5get_libversion)

// The library's identifiers of its predefined types and property list classes, copied when loaded.
#define HYBRIDSCOPE_H5_IDENTIFIERS(X)                                                                     \
  X(H5T_NATIVE_DOUBLE_g) X(H5T_NATIVE_INT8_g) X(H5T_NATIVE_INT16_g) X(H5T_NATIVE_INT32_g)                  \
  X(H5T_NATIVE_INT64_g) X(H5T_NATIVE_UINT8_g) X(H5T_NATIVE_UINT16_g) X(H5T_NATIVE_UINT32_g)                \
  X(H5T_NATIVE_UINT64_g) X(H5T_C_S1_g) X(H5P_CLS_DATASET_CREATE_ID_g) X(H5P_CLS_DATASET_XFER_ID_g)         \
  X(H5P_CLS_FILE_ACCESS_ID_g)

#define HYBRIDSCOPE_H5_DECLARE_FUNCTION(name) extern decltype(&::name) name;
#define HYBRIDSCOPE_H5_DECLARE_IDENTIFIER(name) extern hid_t name;
HYBRIDSCOPE_H5_FUNCTIONS(HYBRIDSCOPE_H5_DECLARE_FUNCTION)
HYBRIDSCOPE_H5_IDENTIFIERS(HYBRIDSCOPE_H5_DECLARE_IDENTIFIER)
#undef HYBRIDSCOPE_H5_DECLARE_FUNCTION
#undef HYBRIDSCOPE_H5_DECLARE_IDENTIFIER

// Loads and initializes the library (once; throws H5Error naming the library if it cannot).
herr_t H5open();

}  // namespace hybridscope::h5::api

namespace hybridscope::h5 {
// In h5's code, H5Dwrite and the rest name the pointers above, not the library's functions.
using namespace api;
}  // namespace hybridscope::h5
