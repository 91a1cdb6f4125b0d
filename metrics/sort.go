package metrics

import "sort"

func sortRefs(refs []MsgRef, msgs []msgState) {
	sort.Slice(refs, func(a, b int) bool {
		x, y := &msgs[refs[a]], &msgs[refs[b]]
		if x.msgID != y.msgID {
			return x.msgID < y.msgID
		}
		return x.stream < y.stream
	})
}
