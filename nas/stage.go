package nas

// stageRule is one stage's rules: what it does on entry, how it judges a
// candidate's score against the current network, and what it does after a
// decision (the next candidate, or the end of the stage). The rules of
// each stage live in their own file (stage_depth.go, stage_width.go,
// stage_layer.go).
type stageRule interface {
	enter(s *Search, st *state)
	judge(c Config, st *state, sc float64) (accepted bool, reason string)
	after(s *Search, st *state, accepted bool, cand Arch, sc, prevScore float64, start bool)
}

// ruleOf returns the rules of stage.
func ruleOf(stage Stage) stageRule {
	switch stage {
	case StageDepth:
		return depthRule{}
	case StageWidth:
		return widthRule{}
	case StageKernel:
		return layerRule{margin: func(c Config) float64 { return c.KernelMargin }}
	default:
		return layerRule{margin: func(c Config) float64 { return c.OpMargin }}
	}
}
