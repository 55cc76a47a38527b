// Package cpu is the project's CPU backend: upstream's Go backend
// (github.com/gomlx/compute/gobackend) with the project's kernels cut into
// its graphs. A graph is built as a sequence of Go backend sub-graphs
// ("segments") separated by steps run by packages conv (convolutions), norm
// (batch normalization, which the Go backend lacks) and fast (broadcasts,
// sums and the ReLU's ops), and it fills what the Go backend gets wrong. It
// is registered with compute as "gofill"; nas/backend.Open("go") returns it.
// The design, the options and each fill with its "delete when" test are in
// nas/backend/README.md.
package cpu
