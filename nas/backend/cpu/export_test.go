package cpu

import "github.com/gomlx/compute"

// Plan returns the live steps of an executable of this backend, one
// letter each: "S" for a Go backend segment, "K" for a kernel step run by
// package conv, "D" for a depthwise and a pointwise convolution run together
// by package conv, "F" for one run as a one-op Go backend executable, "N" for a
// batch normalization run by package norm, "B", "R", "G" and "C" for a
// BroadcastInDim, ReduceSum, Sign and ConvertDType from Bool run by
// package fast, "E" for a Mul, Max or Mul of a Sign run by package fast.
func Plan(e compute.Executable) string { return e.(*executable).plan() }

// The tests run with pooled buffers poisoned: a kernel that reads an
// output element it did not write gets NaN.
func init() { poisonPooled = true }

// PooledReturned returns how many buffers the backend has given back to
// the Go backend's pool.
func PooledReturned(b compute.Backend) int64 { return b.(*backend).outs.returned.Load() }
