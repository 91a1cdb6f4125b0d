package experiments

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/iotsim/iotsim/experiments/config"
)

// benchSweep is a sweep of UDP runs of about half a second each on one core:
// 2 loss levels × reps replications.
func benchSweep(b *testing.B, reps int) []Run {
	b.Helper()
	text := fmt.Sprintf(`
name = "sweep-bench"
seed = 3
duration = "2h"
drain = "5s"
[output]
tables = ["runs", "messages", "devices"]
[links.radio]
loss = { model = "bernoulli", p = 0.1 }
delay = { dist = "lognormal", mean = "40ms", stddev = "30ms" }
[coap_servers.srv]
link = "radio"
[devices.s]
count = 1000
link = "radio"
attach = "srv"
protocol = "udp"
workload = { kind = "poisson", rate = "6/min", payload = 40 }
[sweep]
replications = %d
[sweep.params]
"links.radio.loss.p" = [0.05, 0.2]
`, reps)
	exp, src, err := config.Load("bench.toml", []byte(text), nil)
	if err != nil {
		b.Fatal(err)
	}
	runs, err := Plan(src, exp)
	if err != nil {
		b.Fatal(err)
	}
	return runs
}

// peakHeap samples the heap in use (HeapAlloc: live objects and uncollected garbage) every few milliseconds until stopped.
type peakHeap struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func startPeakHeap() *peakHeap {
	p := &peakHeap{stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		var m runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > p.peak.Load() {
				p.peak.Store(m.HeapAlloc)
			}
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakHeap) MB() float64 {
	close(p.stop)
	p.wg.Wait()
	return float64(p.peak.Load()) / (1 << 20)
}

// BenchmarkSweepWorkers runs an 8-run sweep (each run about half a second on
// one core) with 1 and 2 workers: the speed-up of the worker pool. It also
// reports the peak heap, which grows with the workers, not the runs.
func BenchmarkSweepWorkers(b *testing.B) {
	benchWorkers(b, benchSweep(b, 4))
}

// BenchmarkSweepWorkersRunsOnly is BenchmarkSweepWorkers writing only the
// runs table: no per-run encoders, so one worker keeps one core busy.
func BenchmarkSweepWorkersRunsOnly(b *testing.B) {
	runs := benchSweep(b, 4)
	for i := range runs {
		e := *runs[i].Exp
		e.Output.Tables = []string{"runs"}
		runs[i].Exp = &e
	}
	benchWorkers(b, runs)
}

func benchWorkers(b *testing.B, runs []Run) {
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprint(workers), func(b *testing.B) {
			var peak float64
			cpu0 := cpuTime()
			for b.Loop() {
				dir := b.TempDir()
				runtime.GC()
				p := startPeakHeap()
				if _, err := Execute(context.Background(), runs, Options{Out: dir, Tables: runs[0].Exp.Output.Tables, Workers: workers}); err != nil {
					b.Fatal(err)
				}
				peak = max(peak, p.MB())
			}
			b.ReportMetric(float64(len(runs))*float64(b.N)/b.Elapsed().Seconds(), "runs/s")
			// Cores busy on average: above 1 with one worker, because each
			// run's Parquet files are encoded on goroutines of their own.
			b.ReportMetric((cpuTime()-cpu0).Seconds()/b.Elapsed().Seconds(), "cores")
			b.ReportMetric(peak, "peak-heap-MB")
		})
	}
}

// BenchmarkSweepMemory runs 4 and 16 runs with 2 workers: the peak live
// heap stays the same (one run per worker, rows streamed to disk), only the
// time grows.
func BenchmarkSweepMemory(b *testing.B) {
	for _, reps := range []int{2, 8} {
		runs := benchSweep(b, reps)
		b.Run(fmt.Sprintf("runs=%d", len(runs)), func(b *testing.B) {
			var peak float64
			for b.Loop() {
				dir := b.TempDir()
				runtime.GC()
				p := startPeakHeap()
				if _, err := Execute(context.Background(), runs, Options{Out: dir, Tables: runs[0].Exp.Output.Tables, Workers: 2}); err != nil {
					b.Fatal(err)
				}
				peak = max(peak, p.MB())
			}
			b.ReportMetric(peak, "peak-heap-MB")
		})
	}
}

// cpuTime is the CPU time (user + system) of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
