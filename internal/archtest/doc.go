// Package archtest enforces the module's architecture rules (DESIGN.md) as
// tests over the whole module, so that a change that breaks one fails in CI
// instead of surfacing in review:
//
//   - every package has a package doc comment;
//   - sim and protocols, which must stay deterministic and free of I/O,
//     import no net, os, sync or syscall (nor their subpackages), read no
//     wall clock (time.Now and friends), draw from no global math/rand
//     source and start no goroutines — outside their _test.go files;
//   - imports only point down the layers
//     cmd → experiments → topologies → protocols → models → metrics → sim,
//     where a package belongs to the layer of its top folder.
//
// The package has no code of its own; run go test ./internal/archtest.
package archtest
