package metrics

import "sort"

func sortRefs(refs []MsgRef, msgs []msgState) {
	sort.Slice(refs, func(a, b int) bool { return msgs[refs[a]].order < msgs[refs[b]].order })
}
