package mqtt

import "strings"

// The broker keeps two topic trees of the same node type: the subscription
// tree, whose levels are filter levels ('+' and '#' hang off their own
// fields), and the retained tree, whose levels are topic-name levels and
// whose nodes may hold one retained message. A node that holds nothing and
// has no children is removed, so both trees only cost what is in them.

// trieIndexAt is the number of literal children above which a node looks
// them up in a map rather than by scanning a slice: most nodes have a
// handful of children, a fleet's "devices/<id>" node has thousands.
const trieIndexAt = 16

type trieNode struct {
	parent *trieNode
	level  string
	pos    int32 // index in parent.kids, for O(1) removal

	// dead counts the entries of subs whose session is nil (removed and
	// not yet compacted), so removing a subscriber is O(1) amortised
	// while the others keep their subscription order.
	dead int32

	kids  []*trieNode          // literal children, in no particular order
	index map[string]*trieNode // literal children by level, once len(kids) > trieIndexAt
	plus  *trieNode            // the "+" child (subscription tree only)
	hash  *trieNode            // the "#" child (subscription tree only)

	subs     []nodeSub    // subscription tree: the sessions subscribed with exactly this filter
	retained *retainedMsg // retained tree: the retained message of exactly this topic
}

// nodeSub is one session's subscription at a node.
type nodeSub struct {
	s    *session // nil once removed
	slot int32    // index of this subscription in s.subs
	qos  QoS      // the granted QoS
}

// retainedMsg is the last retained message of a topic.
type retainedMsg struct {
	topic   string
	payload []byte
	qos     QoS
	ref     uint64
}

// child returns the literal child of n for level, or nil.
func (n *trieNode) child(level string) *trieNode {
	if n.index != nil {
		return n.index[level]
	}
	for _, k := range n.kids {
		if k.level == level {
			return k
		}
	}
	return nil
}

// childFor returns the child of n for a filter level, creating it.
func (n *trieNode) childFor(level string) *trieNode {
	switch level {
	case "+":
		if n.plus == nil {
			n.plus = &trieNode{parent: n, level: level}
		}
		return n.plus
	case "#":
		if n.hash == nil {
			n.hash = &trieNode{parent: n, level: level}
		}
		return n.hash
	}
	if k := n.child(level); k != nil {
		return k
	}
	// Clone the level: it is usually a slice of a packet's filter or topic
	// string, which would otherwise stay alive as a whole.
	k := &trieNode{parent: n, level: strings.Clone(level), pos: int32(len(n.kids))}
	n.kids = append(n.kids, k)
	if n.index != nil {
		n.index[k.level] = k
	} else if len(n.kids) > trieIndexAt {
		n.index = make(map[string]*trieNode, len(n.kids))
		for _, c := range n.kids {
			n.index[c.level] = c
		}
	}
	return k
}

// insert returns the node of filter (or topic name), creating the path.
func (n *trieNode) insert(filter string) *trieNode {
	for {
		level, rest, more := strings.Cut(filter, "/")
		n = n.childFor(level)
		if !more {
			return n
		}
		filter = rest
	}
}

// find returns the node of filter (or topic name), or nil.
func (n *trieNode) find(filter string) *trieNode {
	for n != nil {
		level, rest, more := strings.Cut(filter, "/")
		switch level {
		case "+":
			n = n.plus
		case "#":
			n = n.hash
		default:
			n = n.child(level)
		}
		if !more {
			return n
		}
		filter = rest
	}
	return nil
}

// empty reports whether n holds nothing and has no children.
func (n *trieNode) empty() bool {
	return len(n.subs) == int(n.dead) && n.retained == nil && len(n.kids) == 0 && n.plus == nil && n.hash == nil
}

// prune removes n and then its ancestors while they are empty. The root
// (no parent) stays.
func (n *trieNode) prune() {
	for n.parent != nil && n.empty() {
		p := n.parent
		switch {
		case p.plus == n:
			p.plus = nil
		case p.hash == n:
			p.hash = nil
		default:
			last := p.kids[len(p.kids)-1]
			p.kids[n.pos] = last
			last.pos = n.pos
			p.kids[len(p.kids)-1] = nil
			p.kids = p.kids[:len(p.kids)-1]
			if p.index != nil {
				delete(p.index, n.level)
			}
		}
		n.parent = nil
		n = p
	}
}

// compact removes the dead entries of n.subs, keeping the order of the
// others and telling their sessions where they moved.
func (n *trieNode) compact() {
	w := 0
	for _, e := range n.subs {
		if e.s == nil {
			continue
		}
		e.s.subs[e.slot].idx = int32(w)
		n.subs[w] = e
		w++
	}
	clear(n.subs[w:])
	n.subs = n.subs[:w]
	n.dead = 0
	if w == 0 {
		n.subs = nil
	}
}

// matchVisitor receives the subscriptions that match a topic.
type matchVisitor interface {
	visit(subs []nodeSub)
}

// match calls v.visit with the subscriptions of every node of the
// subscription tree rooted at root whose filter matches topic, in the
// order mosquitto 2.0 walks its tree: at each level the literal branch
// first (depth first), then the "+" branch, then "#". A filter that begins
// with a wildcard does not match a topic that begins with '$' (§4.7.2), so
// the same set results as from Match over every filter.
func (root *trieNode) match(topic string, v matchVisitor) {
	dollar := topic != "" && topic[0] == '$'
	matchLevel(root, topic, dollar, v)
}

func matchLevel(n *trieNode, topic string, noWild bool, v matchVisitor) {
	level, rest, more := strings.Cut(topic, "/")
	if k := n.child(level); k != nil {
		matchRest(k, rest, more, v)
	}
	if noWild {
		return
	}
	if n.plus != nil {
		matchRest(n.plus, rest, more, v)
	}
	if n.hash != nil {
		v.visit(n.hash.subs)
	}
}

// matchRest continues below k, the node that matched one level.
func matchRest(k *trieNode, rest string, more bool, v matchVisitor) {
	if more {
		matchLevel(k, rest, false, v)
		return
	}
	// The topic ends at k: "k/#" matches it too ("a/#" matches "a").
	if k.hash != nil {
		v.visit(k.hash.subs)
	}
	v.visit(k.subs)
}

// retainedVisitor receives the retained messages that match a filter.
type retainedVisitor interface {
	visitRetained(r *retainedMsg)
}

// matchRetained calls v with every retained message in the retained tree
// rooted at root whose topic matches filter, with the same '$' rule as
// Match.
func (root *trieNode) matchRetained(filter string, v retainedVisitor) {
	retainedLevel(root, filter, true, v)
}

func retainedLevel(n *trieNode, filter string, top bool, v retainedVisitor) {
	level, rest, more := strings.Cut(filter, "/")
	switch level {
	case "#":
		// "#" matches the parent level itself (but the root holds none).
		if n.retained != nil {
			v.visitRetained(n.retained)
		}
		for _, k := range n.kids {
			if top && strings.HasPrefix(k.level, "$") {
				continue
			}
			retainedAll(k, v)
		}
	case "+":
		for _, k := range n.kids {
			if top && strings.HasPrefix(k.level, "$") {
				continue
			}
			retainedNext(k, rest, more, v)
		}
	default:
		if k := n.child(level); k != nil {
			retainedNext(k, rest, more, v)
		}
	}
}

func retainedNext(k *trieNode, rest string, more bool, v retainedVisitor) {
	if !more {
		if k.retained != nil {
			v.visitRetained(k.retained)
		}
		return
	}
	retainedLevel(k, rest, false, v)
}

// retainedAll visits every retained message at or below n.
func retainedAll(n *trieNode, v retainedVisitor) {
	if n.retained != nil {
		v.visitRetained(n.retained)
	}
	for _, k := range n.kids {
		retainedAll(k, v)
	}
}
