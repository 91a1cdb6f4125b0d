package mqtt

import (
	"errors"
	"strings"
	"testing"
)

func TestValidTopicName(t *testing.T) {
	tests := []struct {
		topic string
		want  error // nil, ErrTopicName or ErrUTF8
	}{
		{"a", nil},
		{"a/b/c", nil},
		{"/", nil},
		{"/finance", nil},
		{"a//b", nil},
		{"Accounts payable", nil}, // spaces are allowed (§4.7.3)
		{"$SYS/monitor/Clients", nil},
		{"센서/온도", nil},
		{strings.Repeat("a", MaxStringBytes), nil},
		{"", ErrTopicName},
		{strings.Repeat("a", MaxStringBytes+1), ErrTopicName},
		{"a/+", ErrTopicName},
		{"+", ErrTopicName},
		{"a/#", ErrTopicName},
		{"a+b", ErrTopicName},
		{"a\x00b", ErrUTF8},
		{"a\xffb", ErrUTF8},
		{"\xed\xa0\x80", ErrUTF8}, // U+D800, a surrogate
		{"\xc0\xaf", ErrUTF8},     // overlong '/'
	}
	for _, tt := range tests {
		err := ValidTopicName(tt.topic)
		if tt.want == nil && err != nil || tt.want != nil && (!errors.Is(err, tt.want) || !errors.Is(err, ErrMalformed)) {
			t.Errorf("ValidTopicName(%.20q) = %v; want %v", tt.topic, err, tt.want)
		}
	}
}

func TestValidTopicFilter(t *testing.T) {
	tests := []struct {
		filter string
		want   error // nil, ErrTopicFilter or ErrUTF8
	}{
		// §4.7.1.2 and §4.7.1.3.
		{"#", nil},
		{"sport/tennis/#", nil},
		{"sport/tennis#", ErrTopicFilter},
		{"sport/tennis/#/ranking", ErrTopicFilter},
		{"+", nil},
		{"+/tennis/#", nil},
		{"sport+", ErrTopicFilter},
		{"sport/+/player1", nil},
		{"/+", nil},
		{"+/+", nil},
		{"$SYS/#", nil},
		{"a/b", nil},
		{"a//+/", nil},
		{"/#", nil},
		{"//#", nil},
		// The reference's rejected filters (s10_badinput.md).
		{"a/#/b", ErrTopicFilter},
		{"a/b+", ErrTopicFilter},
		// More misplaced wildcards.
		{"+a", ErrTopicFilter},
		{"a/+b/c", ErrTopicFilter},
		{"a/b#", ErrTopicFilter},
		{"#/", ErrTopicFilter},
		{"##", ErrTopicFilter},
		{"++", ErrTopicFilter},
		{"+#", ErrTopicFilter},
		{"#+", ErrTopicFilter},
		{"", ErrTopicFilter},
		{strings.Repeat("a", MaxStringBytes+1), ErrTopicFilter},
		{"a/\x00", ErrUTF8},
		{"a/\xff/#", ErrUTF8},
	}
	for _, tt := range tests {
		err := ValidTopicFilter(tt.filter)
		if tt.want == nil && err != nil || tt.want != nil && (!errors.Is(err, tt.want) || !errors.Is(err, ErrMalformed)) {
			t.Errorf("ValidTopicFilter(%.20q) = %v; want %v", tt.filter, err, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		filter, topic string
		want          bool
	}{
		// §4.7.1.2: multi-level wildcard.
		{"sport/tennis/player1/#", "sport/tennis/player1", true},
		{"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
		{"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
		{"sport/#", "sport", true},
		{"#", "sport/tennis", true},
		{"#", "a", true},
		{"#", "/", true},
		// §4.7.1.3: single-level wildcard.
		{"sport/tennis/+", "sport/tennis/player1", true},
		{"sport/tennis/+", "sport/tennis/player2", true},
		{"sport/tennis/+", "sport/tennis/player1/ranking", false},
		{"sport/+", "sport", false},
		{"sport/+", "sport/", true},
		{"+/+", "/finance", true},
		{"/+", "/finance", true},
		{"+", "/finance", false},
		{"+/tennis/#", "sport/tennis/player1", true},
		{"+/tennis/#", "sport/tennis", true},
		{"+/tennis/#", "sport/golf", false},
		// §4.7.2: topics beginning with $.
		{"#", "$SYS/monitor/Clients", false},
		{"+/monitor/Clients", "$SYS/monitor/Clients", false},
		{"$SYS/#", "$SYS/monitor/Clients", true},
		{"$SYS/monitor/+", "$SYS/monitor/Clients", true},
		{"$SYS/#", "$SYS", true},
		{"+", "$SYS", false},
		{"a/+", "a/$x", true}, // only the first character of the topic counts
		// §4.7.3: exact, case-sensitive levels.
		{"ACCOUNTS", "Accounts", false},
		{"Accounts payable", "Accounts payable", true},
		{"finance", "/finance", false},
		{"/finance", "/finance", true},
		{"/finance", "finance", false},
		// Empty levels.
		{"a/+", "a/", true},
		{"a/+/b", "a//b", true},
		{"a//b", "a//b", true},
		{"a/b", "a//b", false},
		{"+", "a/", false},
		{"+/", "a/", true},
		{"+/+", "/", true},
		{"+", "/", false},
		{"/#", "/", true},
		{"/#", "/a/b", true},
		{"/#", "a", false},
		// Parent-level rule of '#'.
		{"a/#", "a", true},
		{"a/#", "a/", true},
		{"a/#", "a/b/c", true},
		{"a/#", "ab", false},
		{"a/#", "b/a", false},
		{"a/b/#", "a", false},
		{"+/#", "a", true},
		{"a/+/#", "a", false},
		{"a/+/#", "a/b", true},
		// Plain mismatches and prefixes.
		{"a/b", "a/b", true},
		{"a/b", "a/b/c", false},
		{"a/b/c", "a/b", false},
		{"a/bc", "a/b", false},
		{"a/b", "a/bc", false},
		{"센서/+", "센서/온도", true},
	}
	for _, tt := range tests {
		if got := Match(tt.filter, tt.topic); got != tt.want {
			t.Errorf("Match(%q, %q) = %v; want %v", tt.filter, tt.topic, got, tt.want)
		}
	}
}

// TestMatchReference replays s5_wildcards.md: which of three subscribers
// mosquitto 2.0 delivered each publication to.
func TestMatchReference(t *testing.T) {
	filters := []string{"handong/#", "handong/csee/#", "handong/+/b"}
	tests := []struct {
		topic string
		want  [3]bool // delivered to each filter above
	}{
		{"handong/csee/a", [3]bool{true, true, false}},
		{"handong/csee/b", [3]bool{true, true, true}},
		{"handong/mec/b", [3]bool{true, false, true}},
		{"handong/csee", [3]bool{true, true, false}},
		{"handong/x/y/b", [3]bool{true, false, false}},
		{"handong", [3]bool{true, false, false}},
		// From the task and the lab report (SEEDS.md 003).
		{"handong/csee/x/b", [3]bool{true, true, false}},
	}
	for _, tt := range tests {
		for i, f := range filters {
			if got := Match(f, tt.topic); got != tt.want[i] {
				t.Errorf("Match(%q, %q) = %v; want %v", f, tt.topic, got, tt.want[i])
			}
		}
	}
}

// TestMatchAgainstLevels compares Match with a direct transcription of
// §4.7 over split levels, for every pair of a set of filters and topics.
func TestMatchAgainstLevels(t *testing.T) {
	levels := []string{"", "a", "b", "$x"}
	var topics, filters []string
	var build func(prefix []string, depth int)
	build = func(prefix []string, depth int) {
		if len(prefix) > 0 {
			topics = append(topics, strings.Join(prefix, "/"))
		}
		if depth == 0 {
			return
		}
		for _, l := range levels {
			build(append(prefix[:len(prefix):len(prefix)], l), depth-1)
		}
	}
	build(nil, 3)
	var buildFilter func(prefix []string, depth int)
	buildFilter = func(prefix []string, depth int) {
		if len(prefix) > 0 {
			filters = append(filters, strings.Join(prefix, "/"))
			filters = append(filters, strings.Join(append(prefix[:len(prefix):len(prefix)], "#"), "/"))
		}
		if depth == 0 {
			return
		}
		for _, l := range append(levels, "+") {
			buildFilter(append(prefix[:len(prefix):len(prefix)], l), depth-1)
		}
	}
	buildFilter(nil, 3)
	filters = append(filters, "#")
	for _, f := range filters {
		if ValidTopicFilter(f) != nil {
			continue
		}
		for _, topic := range topics {
			if ValidTopicName(topic) != nil {
				continue
			}
			if got, want := Match(f, topic), matchLevels(f, topic); got != want {
				t.Errorf("Match(%q, %q) = %v; want %v", f, topic, got, want)
			}
		}
	}
}

// matchLevels is §4.7 read literally, over strings.Split.
func matchLevels(filter, topic string) bool {
	if strings.HasPrefix(topic, "$") && (strings.HasPrefix(filter, "+") || strings.HasPrefix(filter, "#")) {
		return false
	}
	f, tl := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, level := range f {
		if level == "#" {
			return true // this level and any below it, including none
		}
		if i >= len(tl) || level != "+" && level != tl[i] {
			return false
		}
	}
	return len(f) == len(tl)
}
