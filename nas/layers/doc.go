// Package layers holds the graph building blocks of NetworkMix candidates,
// NHWC, float32 or float64, made of GoMLX graph ops that run on the pure-Go
// backend (with the gap fills of nas/backend/cpu) and on XLA:
//
//   - Conv2D: dense convolution, "same" padding, stride, no bias: one
//     ConvGeneral forward and one for each gradient (a custom gradient, not
//     GoMLX's convolution VJP);
//   - DepthwiseConv2D: one filter per channel (groups = channels), built
//     the same way with channel and batch group counts;
//   - BatchNorm: PyTorch's BatchNorm2d (batch statistics with gradient in
//     training, running statistics with momentum 0.1 and unbiased variance),
//     with XLA's batch normalization ops where the backend has them (XLA,
//     nas/backend/cpu) and plain ops elsewhere;
//   - ReLU: max(x, 0) whose gradient is one multiplication by a mask;
//   - Dot: a matrix product whose gradient does not materialise the
//     [m,n,k] tensor that GoMLX v0.26.0's own Dot gradient built.
//
// Like GoMLX's graph functions, these panic on invalid shapes; GoMLX's Exec
// turns such panics into errors.
package layers
