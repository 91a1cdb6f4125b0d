package config

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestGoldenErrors loads testdata/errors.toml, a file with many mistakes,
// and compares every reported problem with testdata/errors.golden.
// Regenerate with: go test ./experiments/config -run Golden -update
func TestGoldenErrors(t *testing.T) {
	text, err := os.ReadFile("testdata/errors.toml")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Load("testdata/errors.toml", text, []string{"devices.sensor.ramp=5"})
	if err == nil {
		t.Fatal("errors.toml loaded without problems")
	}
	got := err.Error() + "\n"
	if *update {
		if err := os.WriteFile("testdata/errors.golden", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("testdata/errors.golden")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("problems differ from testdata/errors.golden (run with -update to accept):\ngot:\n%swant:\n%s", got, want)
	}
}
