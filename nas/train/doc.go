// Package train trains TRG-NAS candidates with GoMLX: the NetworkMix model
// builder (Model), the optimizer (SGD), the trainer (Train, and Trainer, an
// nas.Evaluator), checkpoints, and the final step's training (Final, which
// runner.RunFinal records). With the backends (nas/backend) and the layers
// (nas/layers) it is the only part of the project that imports GoMLX.
package train
