package conv

// micro computes the mr x nr tile acc = A B over depth kc, with a the
// packed panel [kc][mr] and b rows of ldb values, the tile's nr columns at
// the start of each row.
func micro[T float32 | float64](kc int, a, b []T, ldb int, acc *[mr * nr]T) {
	var c00, c01, c02, c03 T
	var c10, c11, c12, c13 T
	var c20, c21, c22, c23 T
	var c30, c31, c32, c33 T
	a = a[:kc*mr]
	off := 0
	for kk := 0; kk < kc; kk++ {
		aa := a[kk*mr : kk*mr+mr : kk*mr+mr]
		bb := b[off : off+nr : off+nr]
		off += ldb
		b0, b1, b2, b3 := bb[0], bb[1], bb[2], bb[3]
		a0 := aa[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := aa[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := aa[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := aa[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	*acc = [mr * nr]T{c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33}
}
