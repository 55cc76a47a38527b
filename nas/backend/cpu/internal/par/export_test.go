package par

// Helpers is how many helper goroutines run, and how many of them sleep.
func Helpers() (running, asleep int) { return int(started.Load()), int(parked.Load()) }
