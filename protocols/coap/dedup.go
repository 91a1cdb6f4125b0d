package coap

// dedupIndex finds the deduplication entry of a (peer, message id) pair:
// key is peer<<16 | message id, the value an absolute index in the
// server's ring of seen messages. It behaves as a map, but peers are
// usually small dense integers (node ids in the simulator, address
// indices in a live adapter), and one peer has only a few message ids
// alive at a time, so for peers below maxDensePeer it keeps the last
// dedupWindow ids of each peer in a slice indexed by peer — one cache line
// per lookup instead of a hash map of every live id — and a map only for
// what does not fit.
//
// Entries expire in index order (the ring's), so expiry is one number, the
// ring's oldest index, which get and set take: indices before it are
// absent. A window slot holding one is free, and no expiry has to visit
// the peer's window, which by then would be a cache miss; only the
// overflow map, rarely used, is cleaned entry by entry (delOverflow).
type dedupIndex struct {
	peers    []peerWindow
	overflow map[uint64]uint32
}

// live reports whether abs has not expired before oldest (indices wrap
// around).
func live(abs, oldest uint32) bool { return int32(abs-oldest) >= 0 }

const (
	dedupWindow  = 6
	maxDensePeer = 1 << 22
)

// peerWindow is one peer's recent message ids; bit i of used says slot i
// holds one.
type peerWindow struct {
	mid  [dedupWindow]uint16
	abs  [dedupWindow]uint32
	used uint8
	next uint8 // the slot to evict when all are used
}

func (d *dedupIndex) window(key uint64, grow bool) *peerWindow {
	p := key >> 16
	if p >= maxDensePeer {
		return nil
	}
	if int(p) >= len(d.peers) {
		if !grow {
			return nil
		}
		d.peers = append(d.peers, make([]peerWindow, int(p)+1-len(d.peers))...)
	}
	return &d.peers[p]
}

// get returns the index stored for key.
func (d *dedupIndex) get(key uint64, oldest uint32) (uint32, bool) {
	if w := d.window(key, false); w != nil {
		mid := uint16(key)
		for i := 0; i < dedupWindow; i++ {
			if w.used&(1<<i) != 0 && w.mid[i] == mid && live(w.abs[i], oldest) {
				return w.abs[i], true
			}
		}
	}
	if d.overflow == nil {
		return 0, false
	}
	if a, ok := d.overflow[key]; ok && live(a, oldest) {
		return a, true
	}
	return 0, false
}

// set stores abs for key, replacing what key had.
func (d *dedupIndex) set(key uint64, abs, oldest uint32) {
	w := d.window(key, true)
	if w == nil {
		d.over()[key] = abs
		return
	}
	mid := uint16(key)
	free := -1
	for i := 0; i < dedupWindow; i++ {
		switch {
		case w.used&(1<<i) == 0 || !live(w.abs[i], oldest):
			if free < 0 {
				free = i
			}
		case w.mid[i] == mid:
			w.abs[i] = abs
			return
		}
	}
	if d.overflow != nil {
		delete(d.overflow, key)
	}
	if free < 0 {
		// Full: the oldest goes to the map, so it is still found.
		free = int(w.next)
		w.next = (w.next + 1) % dedupWindow
		d.over()[key&^0xffff|uint64(w.mid[free])] = w.abs[free]
	}
	w.mid[free], w.abs[free] = mid, abs
	w.used |= 1 << free
}

// delOverflow removes key from the overflow map if it maps to abs there:
// the expiry of an entry that may have been pushed out of its window.
func (d *dedupIndex) delOverflow(key uint64, abs uint32) {
	if a, ok := d.overflow[key]; ok && a == abs {
		delete(d.overflow, key)
	}
}

func (d *dedupIndex) over() map[uint64]uint32 {
	if d.overflow == nil {
		d.overflow = map[uint64]uint32{}
	}
	return d.overflow
}
