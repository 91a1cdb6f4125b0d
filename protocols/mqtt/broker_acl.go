package mqtt

import "strings"

// ACLRule grants one user read and/or write access to the topics a filter
// matches.
//
// Semantics (close to mosquitto's acl_file "topic read|write|readwrite"
// lines, without patterns or deny rules):
//
//   - BrokerConfig.ACL == nil: no access control at all.
//   - Otherwise a client may only do what one of its rules allows; its
//     rules are ACL[user name], and ACL[""] for a client that connected
//     without a user name. A user without rules may do nothing.
//   - Write: a PUBLISH (or will) to a topic is allowed when a Write rule's
//     filter matches the topic (Match). A denied PUBLISH is acknowledged as
//     usual and discarded, as mosquitto does for MQTT 3.1.1 clients; a
//     denied will is not published.
//   - Read, subscribing: a SUBSCRIBE filter is granted when it is covered
//     by a Read rule's filter, i.e. every topic the filter matches is
//     matched by the rule's filter ("a/+/c" is covered by "a/#" and by
//     "a/+/+", "a/#" is not covered by "a/+/#"). A refused filter gets the
//     SUBACK return code 0x80.
//   - Read, delivering: a message is delivered to a subscriber (live,
//     queued or retained) only when a Read rule's filter matches its topic.
type ACLRule struct {
	Filter      string
	Read, Write bool
}

// aclAllows reports whether rules let a client publish to (write) or
// receive (read) topic.
func (b *Broker) aclAllows(rules []ACLRule, topic string, write bool) bool {
	if b.cfg.ACL == nil {
		return true
	}
	for i := range rules {
		r := &rules[i]
		if (write && r.Write || !write && r.Read) && Match(r.Filter, topic) {
			return true
		}
	}
	return false
}

// aclAllowsSubscribe reports whether rules let a client subscribe to
// filter.
func (b *Broker) aclAllowsSubscribe(rules []ACLRule, filter string) bool {
	if b.cfg.ACL == nil {
		return true
	}
	for i := range rules {
		if rules[i].Read && covers(rules[i].Filter, filter) {
			return true
		}
	}
	return false
}

// covers reports whether every topic name that filter sub matches is also
// matched by filter acl. Both are expected to be valid filters.
func covers(acl, sub string) bool {
	if acl == "" || sub == "" {
		return false
	}
	// A leading wildcard of acl matches no '$' topic, which sub may match.
	if (acl[0] == '+' || acl[0] == '#') && sub[0] == '$' {
		return false
	}
	for {
		alevel, arest, amore := strings.Cut(acl, "/")
		if alevel == "#" {
			return true
		}
		slevel, srest, smore := strings.Cut(sub, "/")
		if slevel == "#" {
			return false // only "#" covers "#"
		}
		if alevel != "+" && alevel != slevel {
			return false // a literal covers only itself, not "+"
		}
		switch {
		case !amore:
			return !smore
		case !smore:
			// sub ends here; "x/#" also matches the parent level "x".
			return arest == "#"
		}
		acl, sub = arest, srest
	}
}
