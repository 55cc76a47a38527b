package nas_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/trgnas/trgnas/nas"
)

func TestParetoFront(t *testing.T) {
	tests := []struct {
		name        string
		cost, value []float64
		want        []int
	}{
		{"empty", nil, nil, nil},
		{"one", []float64{5}, []float64{1}, []int{0}},
		// (2,9) is beaten by (1,10); (4,11) by (3,12).
		{"sorted", []float64{1, 2, 3, 4}, []float64{10, 9, 12, 11}, []int{0, 2}},
		// (5,9) is beaten by (3,9): same value, lower cost.
		{"unsorted", []float64{5, 1, 3}, []float64{9, 2, 9}, []int{1, 2}},
		// At cost 1, (1,6) beats (1,5); (2,6) twice is beaten by (1,6).
		{"ties", []float64{1, 1, 2, 2, 3}, []float64{5, 6, 6, 6, 7}, []int{1, 4}},
		// Identical points do not dominate each other.
		{"duplicates", []float64{2, 1, 2}, []float64{8, 5, 8}, []int{1, 0, 2}},
		{"all on front", []float64{3, 2, 1}, []float64{3, 2, 1}, []int{2, 1, 0}},
		{"one dominates all", []float64{1, 2, 3}, []float64{9, 8, 9}, []int{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := nas.ParetoFront(tc.cost, tc.value)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParetoFront = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParetoFrontErrors(t *testing.T) {
	tests := []struct {
		name        string
		cost, value []float64
		want        string
	}{
		{"lengths", []float64{1}, nil, "1 costs but 0 values"},
		{"nan value", []float64{1, 2}, []float64{1, math.NaN()}, "value[1] = NaN"},
		{"inf cost", []float64{math.Inf(1)}, []float64{1}, "cost[0] = +Inf"},
	}
	for _, tc := range tests {
		_, err := nas.ParetoFront(tc.cost, tc.value)
		if !errors.Is(err, nas.ErrPareto) || !contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want ErrPareto mentioning %q", tc.name, err, tc.want)
		}
	}
}

func ExampleParetoFront() {
	params := []float64{388450, 453498, 617266, 329326}
	acc := []float64{94.86, 96.00, 96.00, 95.36}
	front, _ := nas.ParetoFront(params, acc)
	fmt.Println(front)
	// Output:
	// [3 1]
}
