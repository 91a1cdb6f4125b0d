package config

import (
	"testing"

	"github.com/BurntSushi/toml"
)

func TestScanPositions(t *testing.T) {
	// Columns are 1-based bytes. Each want entry was counted by hand.
	text := `# a comment with key = "value" and [brackets]
name = "a # not a comment"   # real comment
seed=3
"quoted key" = 1
dotted . key = 'lit # eral'
multi = """
x = 1
[not.a.header]
"""
lit = '''
y = 2'''
arr = [
  1,   # one
  [2, 3],
  "four, ]",
]
[links.wifi]
loss = { model = "bernoulli", p = 0.1 }
outages = [ {at="1m", for="2s"},
            { at = "5m", for = "3s" } ]
[links."wi fi".delay]
value = "1ms"
[[links.wifi.extra]]
k = 1
[[links.wifi.extra]]
k = 2
[links.wifi.extra.sub]
z = 3
[sweep.params]
"links.wifi.loss.p" = [0.0, 0.5]
links.wifi.queue = [1]
d = 1979-05-27 07:32:00Z
after = 1
nested = { a = { b = 1 }, c.d = 2 }
`
	// The scanner trusts BurntSushi/toml to have accepted the text.
	var m map[string]any
	if _, err := toml.Decode(text, &m); err != nil {
		t.Fatal(err)
	}
	got := scanPositions([]byte(text))
	want := map[string]Pos{
		"name":                                {2, 1},
		"seed":                                {3, 1},
		`"quoted key"`:                        {4, 1},
		"dotted":                              {5, 1},
		"dotted.key":                          {5, 10},
		"multi":                               {6, 1},
		"lit":                                 {10, 1},
		"arr":                                 {12, 1},
		"arr[0]":                              {13, 3},
		"arr[1]":                              {14, 3},
		"arr[1][0]":                           {14, 4},
		"arr[1][1]":                           {14, 7},
		"arr[2]":                              {15, 3},
		"links":                               {17, 2},
		"links.wifi":                          {17, 8},
		"links.wifi.loss":                     {18, 1},
		"links.wifi.loss.model":               {18, 10},
		"links.wifi.loss.p":                   {18, 31},
		"links.wifi.outages":                  {19, 1},
		"links.wifi.outages[0]":               {19, 13},
		"links.wifi.outages[0].at":            {19, 14},
		"links.wifi.outages[0].for":           {19, 23},
		"links.wifi.outages[1]":               {20, 13},
		"links.wifi.outages[1].at":            {20, 15},
		"links.wifi.outages[1].for":           {20, 26},
		`links."wi fi"`:                       {21, 8},
		`links."wi fi".delay`:                 {21, 16},
		`links."wi fi".delay.value`:           {22, 1},
		"links.wifi.extra":                    {23, 14},
		"links.wifi.extra[0]":                 {23, 14},
		"links.wifi.extra[0].k":               {24, 1},
		"links.wifi.extra[1]":                 {25, 14},
		"links.wifi.extra[1].k":               {26, 1},
		"links.wifi.extra[1].sub":             {27, 19},
		"links.wifi.extra[1].sub.z":           {28, 1},
		"sweep.params":                        {29, 8},
		`sweep.params."links.wifi.loss.p"`:    {30, 1},
		`sweep.params."links.wifi.loss.p"[1]`: {30, 29},
		"sweep.params.links.wifi.queue":       {31, 12},
		"sweep.params.links.wifi.queue[0]":    {31, 21},
		"sweep.params.d":                      {32, 1},
		"sweep.params.after":                  {33, 1},
		"sweep.params.nested.a.b":             {34, 18},
		"sweep.params.nested.c.d":             {34, 29},
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("pos[%s] = %v (recorded %v); want %v", k, g, ok, w)
		}
	}
	for _, k := range []string{"x", "y", "not", "not.a.header", "links.wifi.extra.sub"} {
		if _, ok := got[k]; ok {
			t.Errorf("pos[%s] recorded; it is inside a string or not a key", k)
		}
	}
}

func TestScanCRLF(t *testing.T) {
	got := scanPositions([]byte("a = 1\r\n[t]\r\n  b = { c = 2 }\r\n"))
	for k, w := range map[string]Pos{"a": {1, 1}, "t": {2, 2}, "t.b": {3, 3}, "t.b.c": {3, 9}} {
		if got[k] != w {
			t.Errorf("pos[%s] = %v; want %v", k, got[k], w)
		}
	}
}
