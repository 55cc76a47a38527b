package plots

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// linTicks places about 5 to 10 labelled ticks at multiples of 1, 2, 2.5
// or 5 times a power of ten, with unlabelled ticks between them.
func linTicks(min, max float64) []plot.Tick {
	if !(max > min) || math.IsInf(max-min, 0) {
		return []plot.Tick{{Value: min, Label: strconv.FormatFloat(min, 'g', 6, 64)}}
	}
	raw := (max - min) / 7
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	prec := 0
	if d := -math.Floor(math.Log10(step) + 1e-9); d > 0 {
		prec = int(d)
	}
	if math.Mod(step/math.Pow(10, -float64(prec)), 1) > 1e-9 {
		prec++ // 2.5 x 10^k needs one more digit
	}
	var ticks []plot.Tick
	minor := step / 2
	for i := math.Ceil(min / minor); i*minor <= max+minor*1e-9; i++ {
		v := i * minor
		if v == 0 {
			v = 0 // not -0
		}
		t := plot.Tick{Value: v}
		if math.Mod(math.Abs(i), 2) == 0 {
			t.Label = strconv.FormatFloat(v, 'f', prec, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// logTicks labels a log axis with values divided by unit: 1, 2 and 5
// times powers of ten when that gives at least 3 labels, else every
// integer mantissa (1 to 9); the other integer mantissas are unlabelled.
func logTicks(unit float64) plot.Ticker {
	return plot.TickerFunc(func(min, max float64) []plot.Tick {
		if !(min > 0) || !(max >= min) {
			return nil
		}
		gen := func(labelled func(m int) bool) ([]plot.Tick, int) {
			var ticks []plot.Tick
			n := 0
			for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
				p := math.Pow(10, e)
				for m := 1; m <= 9; m++ {
					v := float64(m) * p
					if v < min*(1-1e-9) || v > max*(1+1e-9) {
						continue
					}
					t := plot.Tick{Value: v}
					if labelled(m) {
						t.Label = strconv.FormatFloat(v/unit, 'g', 4, 64)
						n++
					}
					ticks = append(ticks, t)
				}
			}
			return ticks, n
		}
		ticks, n := gen(func(m int) bool { return m == 1 || m == 2 || m == 5 })
		if n >= 3 {
			return ticks
		}
		ticks, _ = gen(func(int) bool { return true })
		return ticks
	})
}
