package config

import (
	"os"
	"testing"
)

// FuzzLoad feeds arbitrary text and one arbitrary override through the
// loader: it may report problems, never panic.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"testdata/full.toml", "testdata/errors.toml"} {
		text, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text, "links.wifi.loss.p=0.5")
	}
	f.Add([]byte(sweepBase), "links.wifi.outages[0]={at=\"1s\"}")
	f.Add([]byte("a = [{b = 1}, [2]]\n[[c]]\n[c.d]\n"), "devices.x.count=1")
	f.Fuzz(func(t *testing.T, text []byte, set string) {
		_, src, err := Load("fuzz.toml", text, []string{set})
		if err != nil && src == nil {
			return
		}
		if src != nil {
			for _, pr := range sweepParams(src.Tree) {
				if pr.err == nil && len(pr.values) > 0 {
					c := src.Clone()
					_ = c.SetParam(pr.target.String(), len(pr.values)-1)
					_, _ = c.Resolve()
				}
			}
		}
	})
}
