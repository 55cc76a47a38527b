package conv

// microScalar is micro in plain Go, two rows at a time.
func microScalar[T float32 | float64](kc int, a, b []T, acc *[mr * nr]T) {
	for r := 0; r < mr; r += 2 {
		a0s := a[r*kc : (r+1)*kc]
		a1s := a[(r+1)*kc : (r+2)*kc]
		a1s = a1s[:len(a0s)]
		for c := 0; c < nr; c += 4 {
			var c00, c01, c02, c03 T
			var c10, c11, c12, c13 T
			off := c
			for kk, a0 := range a0s {
				bb := b[off : off+4 : off+4]
				off += nr
				a1 := a1s[kk]
				b0 := bb[0]
				c00 += a0 * b0
				c10 += a1 * b0
				b1 := bb[1]
				c01 += a0 * b1
				c11 += a1 * b1
				b2 := bb[2]
				c02 += a0 * b2
				c12 += a1 * b2
				b3 := bb[3]
				c03 += a0 * b3
				c13 += a1 * b3
			}
			t0 := acc[r*nr+c : r*nr+c+4 : r*nr+c+4]
			t0[0], t0[1], t0[2], t0[3] = c00, c01, c02, c03
			t1 := acc[(r+1)*nr+c : (r+1)*nr+c+4 : (r+1)*nr+c+4]
			t1[0], t1[1], t1[2], t1[3] = c10, c11, c12, c13
		}
	}
}
