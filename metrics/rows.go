package metrics

// MessageRow is one row of the messages table: one application message and
// one intended receiver.
type MessageRow struct {
	MsgID         int64
	Src           string
	Dst           string
	Group         string
	Protocol      string
	QoS           int32
	TopicOrPath   string
	Seq           int64
	PayloadBytes  int32
	SentNs        int64
	Delivered     bool
	DeliveredNs   int64 // valid when Delivered
	LatencyMs     float64
	Copies        int32
	InOrder       bool
	Transmissions int32
	Recovered     bool
}

// DeviceRow is one row of the devices table: one node.
type DeviceRow struct {
	Node         string
	Group        string
	Kind         string
	Profile      string
	EnergyJ      float64
	TxS          float64
	RxS          float64
	IdleS        float64
	SleepS       float64
	HasBattery   bool
	BatteryDays  float64 // valid when HasBattery
	PktsTx       int64
	PktsRx       int64
	BytesTx      int64
	BytesRx      int64
	MsgsSent     int64
	MsgsReceived int64
	Connects     int64
	Disconnects  int64
}

// ConnectionRow is one row of the connections table.
type ConnectionRow struct {
	Client         string
	Server         string
	Protocol       string
	OpenedNs       int64
	Closed         bool
	ClosedNs       int64 // valid when Closed
	CloseReason    string
	PeerDetected   bool
	PeerDetectedNs int64 // valid when PeerDetected
	WillSent       bool
	Lost           bool  // the connection was lost (not closed by DISCONNECT or FIN)
	LostNs         int64 // valid when Lost: when its last packet got through
}

// PacketRow is one row of the opt-in packets table: one packet offered to
// one direction of one link.
type PacketRow struct {
	TNs        int64
	Link       string // "<node>/up" or "<node>/down"
	LinkClass  string
	Src        string
	Dst        string
	Layer      string
	Kind       string
	Bytes      int32
	Dropped    bool
	DropReason string // "" when not dropped
}

// RunRow is the measured part of one row of the runs table; the runner adds
// the identity columns (run id, seed, point, parameters).
type RunRow struct {
	DurationNs           int64
	MsgsSent             int64
	MsgsExpected         int64
	MsgsDelivered        int64
	DeliveryRatio        float64
	Duplicates           int64
	InOrderRatio         float64
	LatencyP50Ms         float64
	LatencyP95Ms         float64
	LatencyP99Ms         float64
	BytesOnAir           int64
	EnergyJ              float64
	EnergyPerDeliveredMJ float64
	Events               int64

	// The reliability scorecard (source document 000), NaN when it does
	// not apply (no connection was lost, no message out of order, …).
	VisibilityP50Ms        float64 // state visibility: median time from losing a peer to knowing it, over both sides of every lost connection
	VisibilityP95Ms        float64 // … its 95th percentile
	VisibilityUndetected   int64   // sides that never knew by the end of the run
	ReorderRestorableRatio float64 // out-of-order deliveries whose receiver had sequence information to restore the order ÷ out-of-order deliveries
	RecoveryRatio          float64 // messages delivered although a transmission was lost before delivery ÷ messages with a transmission lost before any delivery
	TransmissionsPerMsg    float64 // transmissions ÷ (message, receiver) pairs
}

// Sink receives finished rows. Rows are passed by pointer for speed; a Sink
// must copy what it keeps, because the caller reuses the row.
type Sink interface {
	Message(r *MessageRow)
	Device(r *DeviceRow)
	Connection(r *ConnectionRow)
	Packet(r *PacketRow)
}

// Discard is a Sink that drops every row.
type Discard struct{}

func (Discard) Message(*MessageRow)       {}
func (Discard) Device(*DeviceRow)         {}
func (Discard) Connection(*ConnectionRow) {}
func (Discard) Packet(*PacketRow)         {}
