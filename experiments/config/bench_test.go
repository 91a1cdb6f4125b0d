package config

import (
	"os"
	"testing"
)

// BenchmarkLoadFull loads the spec's example, sweep value checks included.
func BenchmarkLoadFull(b *testing.B) {
	text, err := os.ReadFile("testdata/full.toml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := Load("full.toml", text, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSweepPoint is what expansion pays per run: Clone, SetParam, Resolve.
func BenchmarkSweepPoint(b *testing.B) {
	text, err := os.ReadFile("testdata/full.toml")
	if err != nil {
		b.Fatal(err)
	}
	src, err := Parse("full.toml", text)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		run := src.Clone()
		if err := run.SetParam("links.wifi.loss.p", 2); err != nil {
			b.Fatal(err)
		}
		if _, err := run.Resolve(); err != nil {
			b.Fatal(err)
		}
	}
}
