package slurm_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/slurm"
)

// A search on a GPU cluster: each candidate is one job with one GPU, the
// trainer is the trgnas binary on the shared filesystem, and the data is
// the Data each job's spec.json names. Candidates evaluated at the same time run as
// jobs at the same time. (Not run: it needs a cluster.)
func ExampleNew() {
	r := nas.DefaultRecipe()
	r.Seed = 1
	e, err := slurm.New(slurm.Config{
		WorkDir: "/shared/trgnas/jobs",
		Setup:   "module load cuda/12\nexport PATH=/shared/trgnas/bin:$PATH GOMLX_BACKEND=xla:cuda",
		Recipe:  r,
		Dataset: "cifar10-train sha256:..., 45000 train / 5000 valid (split 0.1, seed 1)",
		Data:    &data.Spec{Dataset: "cifar10", Dir: "/shared/data/cifar-10-batches-bin", ValidFrac: 0.1, Seed: 1},
		GPUs:    1,
		CPUs:    4,
		Time:    4 * time.Hour,
		Retries: 2,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var wg sync.WaitGroup
	for _, w := range []int{72, 68, 64} {
		wg.Go(func() {
			res, err := e.Evaluate(context.Background(), nas.Uniform(w, 16, nas.OpSepConv, 3))
			fmt.Println(res.Arch.Key(), res.ValidAcc, res.Failed, err)
		})
	}
	// Meanwhile, e.Jobs() lists the jobs in flight with their last log line.
	wg.Wait()
}
