package mqtt

import (
	"strings"
	"unicode/utf8"
)

// Topic rules of MQTT 3.1.1 §4.7. A topic name (what a PUBLISH is sent to)
// is a list of levels separated by '/'; a topic filter (what a SUBSCRIBE
// asks for) may use '+' for exactly one level and '#' for any number of
// trailing levels, including none. Levels may be empty: "a//b" and "/a"
// are valid and have an empty level.

var (
	errTopicEmpty     = detailed(ErrTopicName, "empty")
	errTopicLong      = detailed(ErrTopicName, "longer than 65535 bytes")
	errTopicWildcard  = detailed(ErrTopicName, "contains the wildcard + or #")
	errFilterEmpty    = detailed(ErrTopicFilter, "empty")
	errFilterLong     = detailed(ErrTopicFilter, "longer than 65535 bytes")
	errFilterPlus     = detailed(ErrTopicFilter, "+ does not occupy a whole level")
	errFilterHash     = detailed(ErrTopicFilter, "# does not occupy a whole level")
	errFilterHashLast = detailed(ErrTopicFilter, "# is not the last level")
)

// ValidTopicName reports whether s may be the topic of a PUBLISH or a
// will: non-empty, at most 65535 bytes, valid UTF-8 without U+0000, and
// without the wildcards + and #. Topics beginning with '$' are valid names;
// servers reserve them for their own use (§4.7.2). The error matches
// ErrTopicName or ErrUTF8, and ErrMalformed; it does not allocate.
func ValidTopicName(s string) error {
	switch {
	case s == "":
		return errTopicEmpty
	case len(s) > MaxStringBytes:
		return errTopicLong
	case strings.ContainsAny(s, "+#"):
		return errTopicWildcard
	}
	return validString(s)
}

// ValidTopicFilter reports whether s may be the filter of a SUBSCRIBE or
// UNSUBSCRIBE: non-empty, at most 65535 bytes, valid UTF-8 without
// U+0000, '+' only as a whole level, '#' only as a whole level and the
// last one. The error matches ErrTopicFilter or ErrUTF8, and ErrMalformed;
// it does not allocate.
func ValidTopicFilter(s string) error {
	switch {
	case s == "":
		return errFilterEmpty
	case len(s) > MaxStringBytes:
		return errFilterLong
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '+':
			if i > 0 && s[i-1] != '/' || i+1 < len(s) && s[i+1] != '/' {
				return errFilterPlus
			}
		case '#':
			if i > 0 && s[i-1] != '/' {
				return errFilterHash
			}
			if i+1 < len(s) {
				return errFilterHashLast
			}
		}
	}
	return validString(s)
}

// validString reports whether s is a valid MQTT UTF-8 string body
// (§1.5.3): well-formed UTF-8 (which excludes surrogates and overlong
// forms) without U+0000. The specification's SHOULD NOTs (control
// characters, non-characters) are accepted.
func validString(s string) error {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return ErrUTF8
	}
	return nil
}

// Match reports whether topic name topic matches topic filter filter
// (§4.7): levels are compared exactly (case-sensitive), '+' matches any
// one level including an empty one, and a final '#' matches the level
// before it and any number of levels below it, so "a/#" matches "a",
// "a/" and "a/b/c". A filter that begins with a wildcard does not match a
// topic that begins with '$' ([MQTT-4.7.2-1]), so "#" matches everything
// except "$SYS/...".
//
// Match expects a valid filter and topic name (ValidTopicFilter,
// ValidTopicName); for anything else it returns some answer without
// panicking. It does not allocate.
func Match(filter, topic string) bool {
	if len(topic) > 0 && topic[0] == '$' && len(filter) > 0 && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	for {
		// The next level of each, and whether more levels follow it.
		flevel, frest, fmore := strings.Cut(filter, "/")
		if flevel == "#" {
			return true
		}
		tlevel, trest, tmore := strings.Cut(topic, "/")
		if flevel != "+" && flevel != tlevel {
			return false
		}
		switch {
		case !fmore:
			return !tmore
		case !tmore:
			// The topic ends here; only a final "#" matches its parent.
			return frest == "#"
		}
		filter, topic = frest, trest
	}
}
