// Package config loads experiment files (spec/experiment.md): it owns the
// TOML schema, strict loading, defaults and validation. It does not expand
// sweeps into runs, build worlds or know protocol internals.
//
// Loading has two stages, so that errors are complete and positioned, and so
// that overrides and sweeps can edit the document before it is typed:
//
//	src, err := config.Parse("exp.toml", text) // generic TOML tree + the position of every key
//	err = src.Set("links.wifi.loss.p", "0.05")   // --set PATH=VALUE
//	e, err := src.Resolve()                      // typed Experiment, defaults, every problem found
//
// Load does the three in one call. Sweep expansion applies one value per
// parameter to a Clone of the Source (SetParam by index, or SetValue with the
// value) and resolves each run; problems about a swept value point at the
// value in the [sweep.params] list. Errors are Problems: one line per problem,
//
//	exp.toml:12:31: links.wifi.loss.p: 1.5 is not a probability (valid: 0 ≤ p ≤ 1)
//	--set devices.sensor.count: -3 is too small (valid: count ≥ 1)
//
// A key path names a value the way TOML dotted keys do
// (links.wifi.outages[0].at; keys that are not bare are quoted:
// sweep.params."links.wifi.loss.p"). The schema is the structs of schema.go,
// whose `toml` tags are the keys; KnownPath and the converter both read it
// from there. Defaults are set in defaults.go only; rules in validate.go.
//
// BurntSushi/toml parses the text (it reports no key positions, and its own
// struct decoding matches keys case-insensitively and takes integers as
// nanoseconds), so this package decodes into a generic tree, records key
// positions with a small scanner, and converts the tree itself.
package config
