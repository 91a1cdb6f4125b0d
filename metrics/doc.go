// Package metrics is the bookkeeping a run does as it goes: it turns what
// happens in the simulated world (a message sent, transmitted, delivered,
// lost; a connection opened and closed; a packet offered to a link) into the
// rows of the output tables, and hands each finished row to a Sink.
//
// Rows are plain structs with explicit validity flags for nullable columns;
// the Parquet encoding lives in experiments/output. metrics knows nothing of
// MQTT, CoAP or Parquet, and imports only sim.
package metrics
