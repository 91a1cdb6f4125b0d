package output

import "github.com/iotsim/iotsim/metrics"

// The record types below are the on-disk layout of the per-run tables: one
// exported field per column, in the column order of spec/output.md. Nullable
// columns are pointer fields; on the write path they point at the record's own
// unexported twin field (the encoder's record slice never moves), so filling
// a record allocates nothing. Unexported fields are not columns.

// messageRecord is one row of the messages table.
type messageRecord struct {
	RunID         string   `parquet:"run_id,dict"`
	MsgID         int64    `parquet:"msg_id"`
	Src           string   `parquet:"src"`
	Dst           string   `parquet:"dst,dict"`
	Group         string   `parquet:"group,dict"`
	Protocol      string   `parquet:"protocol,dict"`
	QoS           int32    `parquet:"qos"`
	TopicOrPath   string   `parquet:"topic_or_path,dict"`
	Seq           int64    `parquet:"seq"`
	PayloadBytes  int32    `parquet:"payload_bytes"`
	SentNs        int64    `parquet:"sent_ns"`
	DeliveredNs   *int64   `parquet:"delivered_ns,optional"`
	LatencyMs     *float64 `parquet:"latency_ms,optional"`
	Delivered     bool     `parquet:"delivered"`
	Copies        int32    `parquet:"copies"`
	InOrder       bool     `parquet:"in_order"`
	Transmissions int32    `parquet:"transmissions"`
	Recovered     bool     `parquet:"recovered"`

	deliveredNs int64
	latencyMs   float64
}

func (d *messageRecord) set(runID string, r *metrics.MessageRow) {
	d.RunID = runID
	d.MsgID = r.MsgID
	d.Src = r.Src
	d.Dst = r.Dst
	d.Group = r.Group
	d.Protocol = r.Protocol
	d.QoS = r.QoS
	d.TopicOrPath = r.TopicOrPath
	d.Seq = r.Seq
	d.PayloadBytes = r.PayloadBytes
	d.SentNs = r.SentNs
	if r.Delivered {
		d.deliveredNs, d.latencyMs = r.DeliveredNs, r.LatencyMs
		d.DeliveredNs, d.LatencyMs = &d.deliveredNs, &d.latencyMs
	} else {
		d.DeliveredNs, d.LatencyMs = nil, nil
	}
	d.Delivered = r.Delivered
	d.Copies = r.Copies
	d.InOrder = r.InOrder
	d.Transmissions = r.Transmissions
	d.Recovered = r.Recovered
}

func (d *messageRecord) row() (runID string, r metrics.MessageRow) {
	r = metrics.MessageRow{
		MsgID:         d.MsgID,
		Src:           d.Src,
		Dst:           d.Dst,
		Group:         d.Group,
		Protocol:      d.Protocol,
		QoS:           d.QoS,
		TopicOrPath:   d.TopicOrPath,
		Seq:           d.Seq,
		PayloadBytes:  d.PayloadBytes,
		SentNs:        d.SentNs,
		Delivered:     d.Delivered,
		Copies:        d.Copies,
		InOrder:       d.InOrder,
		Transmissions: d.Transmissions,
		Recovered:     d.Recovered,
	}
	if d.DeliveredNs != nil {
		r.DeliveredNs = *d.DeliveredNs
	}
	if d.LatencyMs != nil {
		r.LatencyMs = *d.LatencyMs
	}
	return d.RunID, r
}

// deviceRecord is one row of the devices table.
type deviceRecord struct {
	RunID        string   `parquet:"run_id,dict"`
	Node         string   `parquet:"node"`
	Group        string   `parquet:"group,dict"`
	Kind         string   `parquet:"kind,dict"`
	Profile      string   `parquet:"profile,dict"`
	EnergyJ      float64  `parquet:"energy_j"`
	TxS          float64  `parquet:"tx_s"`
	RxS          float64  `parquet:"rx_s"`
	IdleS        float64  `parquet:"idle_s"`
	SleepS       float64  `parquet:"sleep_s"`
	BatteryDays  *float64 `parquet:"battery_days,optional"`
	PktsTx       int64    `parquet:"pkts_tx"`
	PktsRx       int64    `parquet:"pkts_rx"`
	BytesTx      int64    `parquet:"bytes_tx"`
	BytesRx      int64    `parquet:"bytes_rx"`
	MsgsSent     int64    `parquet:"msgs_sent"`
	MsgsReceived int64    `parquet:"msgs_received"`
	Connects     int64    `parquet:"connects"`
	Disconnects  int64    `parquet:"disconnects"`

	batteryDays float64
}

func (d *deviceRecord) set(runID string, r *metrics.DeviceRow) {
	d.RunID = runID
	d.Node = r.Node
	d.Group = r.Group
	d.Kind = r.Kind
	d.Profile = r.Profile
	d.EnergyJ = r.EnergyJ
	d.TxS = r.TxS
	d.RxS = r.RxS
	d.IdleS = r.IdleS
	d.SleepS = r.SleepS
	if r.HasBattery {
		d.batteryDays = r.BatteryDays
		d.BatteryDays = &d.batteryDays
	} else {
		d.BatteryDays = nil
	}
	d.PktsTx = r.PktsTx
	d.PktsRx = r.PktsRx
	d.BytesTx = r.BytesTx
	d.BytesRx = r.BytesRx
	d.MsgsSent = r.MsgsSent
	d.MsgsReceived = r.MsgsReceived
	d.Connects = r.Connects
	d.Disconnects = r.Disconnects
}

func (d *deviceRecord) row() (runID string, r metrics.DeviceRow) {
	r = metrics.DeviceRow{
		Node:         d.Node,
		Group:        d.Group,
		Kind:         d.Kind,
		Profile:      d.Profile,
		EnergyJ:      d.EnergyJ,
		TxS:          d.TxS,
		RxS:          d.RxS,
		IdleS:        d.IdleS,
		SleepS:       d.SleepS,
		PktsTx:       d.PktsTx,
		PktsRx:       d.PktsRx,
		BytesTx:      d.BytesTx,
		BytesRx:      d.BytesRx,
		MsgsSent:     d.MsgsSent,
		MsgsReceived: d.MsgsReceived,
		Connects:     d.Connects,
		Disconnects:  d.Disconnects,
	}
	if d.BatteryDays != nil {
		r.HasBattery, r.BatteryDays = true, *d.BatteryDays
	}
	return d.RunID, r
}

// connectionRecord is one row of the connections table.
type connectionRecord struct {
	RunID          string `parquet:"run_id,dict"`
	Client         string `parquet:"client"`
	Server         string `parquet:"server,dict"`
	Protocol       string `parquet:"protocol,dict"`
	OpenedNs       int64  `parquet:"opened_ns"`
	ClosedNs       *int64 `parquet:"closed_ns,optional"`
	CloseReason    string `parquet:"close_reason,dict"`
	PeerDetectedNs *int64 `parquet:"peer_detected_ns,optional"`
	WillSent       bool   `parquet:"will_sent"`
	LostNs         *int64 `parquet:"lost_ns,optional"` // extension: when the last packet of a lost connection got through

	closedNs       int64
	peerDetectedNs int64
	lostNs         int64
}

func (d *connectionRecord) set(runID string, r *metrics.ConnectionRow) {
	d.RunID = runID
	d.Client = r.Client
	d.Server = r.Server
	d.Protocol = r.Protocol
	d.OpenedNs = r.OpenedNs
	if r.Closed {
		d.closedNs = r.ClosedNs
		d.ClosedNs = &d.closedNs
	} else {
		d.ClosedNs = nil
	}
	d.CloseReason = r.CloseReason
	if r.PeerDetected {
		d.peerDetectedNs = r.PeerDetectedNs
		d.PeerDetectedNs = &d.peerDetectedNs
	} else {
		d.PeerDetectedNs = nil
	}
	d.WillSent = r.WillSent
	if r.Lost {
		d.lostNs = r.LostNs
		d.LostNs = &d.lostNs
	} else {
		d.LostNs = nil
	}
}

func (d *connectionRecord) row() (runID string, r metrics.ConnectionRow) {
	r = metrics.ConnectionRow{
		Client:      d.Client,
		Server:      d.Server,
		Protocol:    d.Protocol,
		OpenedNs:    d.OpenedNs,
		CloseReason: d.CloseReason,
		WillSent:    d.WillSent,
	}
	if d.ClosedNs != nil {
		r.Closed, r.ClosedNs = true, *d.ClosedNs
	}
	if d.PeerDetectedNs != nil {
		r.PeerDetected, r.PeerDetectedNs = true, *d.PeerDetectedNs
	}
	if d.LostNs != nil {
		r.Lost, r.LostNs = true, *d.LostNs
	}
	return d.RunID, r
}

// packetRecord is one row of the packets table. link_class, after link, is an
// extension column (the class of the link model, e.g. "lora").
type packetRecord struct {
	RunID      string  `parquet:"run_id,dict"`
	TNs        int64   `parquet:"t_ns"`
	Link       string  `parquet:"link"`
	LinkClass  string  `parquet:"link_class,dict"`
	Src        string  `parquet:"src"`
	Dst        string  `parquet:"dst"`
	Layer      string  `parquet:"layer,dict"`
	Kind       string  `parquet:"kind,dict"`
	Bytes      int32   `parquet:"bytes"`
	Dropped    bool    `parquet:"dropped"`
	DropReason *string `parquet:"drop_reason,optional,dict"`

	dropReason string
}

func (d *packetRecord) set(runID string, r *metrics.PacketRow) {
	d.RunID = runID
	d.TNs = r.TNs
	d.Link = r.Link
	d.LinkClass = r.LinkClass
	d.Src = r.Src
	d.Dst = r.Dst
	d.Layer = r.Layer
	d.Kind = r.Kind
	d.Bytes = r.Bytes
	d.Dropped = r.Dropped
	if r.DropReason != "" {
		d.dropReason = r.DropReason
		d.DropReason = &d.dropReason
	} else {
		d.DropReason = nil
	}
}

func (d *packetRecord) row() (runID string, r metrics.PacketRow) {
	r = metrics.PacketRow{
		TNs:       d.TNs,
		Link:      d.Link,
		LinkClass: d.LinkClass,
		Src:       d.Src,
		Dst:       d.Dst,
		Layer:     d.Layer,
		Kind:      d.Kind,
		Bytes:     d.Bytes,
		Dropped:   d.Dropped,
	}
	if d.DropReason != nil {
		r.DropReason = *d.DropReason
	}
	return d.RunID, r
}
