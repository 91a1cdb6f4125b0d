// Package topologies turns one resolved experiment into a world ready to
// run: the network of nodes and access links (core, servers, gateways,
// devices), the applications on each node (workload-driven senders,
// receivers, protocol engines), and the bookkeeping that turns what happens
// into output rows.
//
// Node names follow the output contract: members of a group with a count are
// "<group>-<index>", nodes declared without a count are named by their key.
// Nodes are created in a fixed order (brokers, coap_servers, p2p_brokers,
// gateways, devices; each section in sorted name order), and all randomness
// is drawn from per-node streams keyed by node name, so adding a group never
// changes the draws of another.
//
// topologies builds and finishes a world; it does not decide how long to
// run it or where rows go — the experiments runner does.
package topologies
