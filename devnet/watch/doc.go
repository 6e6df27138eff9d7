// Package watch is what "devnet up" shows a person once the devnet runs:
// one live status line (the L1 head and how many validators vote, the L2
// unsafe, safe and finalized heads, the batches in their challenge window,
// what the challenger thinks) and one line per event that matters (a
// transaction included, a batch of transactions posted or finalized, a
// deposit credited, a withdrawal requested or paid, a dispute decided, a
// node down), instead of every node's every log line.
//
// Data flow, every PollInterval:
//
//  1. Poller.Poll reads, over JSON-RPC on loopback, what changed since the
//     State's cursors: from an L1 validator (validator 0 unless it is down)
//     the head, the new blocks' transaction hashes and the rollup
//     contract's and the bridge's logs (end-of-block logs included), and
//     each validator's head and the validator set; from the sequencer
//     rollup_syncStatus, the new L2 blocks, the withdrawal queue's logs and
//     rollup_depositStatus of the L1 operations still waiting; from the
//     challenger rollup_syncStatus with its verification. The result is an
//     Observation (plus the nodes that exited, which the caller reports
//     through Watcher.NodeExited, and the first L2 block's timing).
//  2. Step, a pure function, turns the previous State and the Observation
//     into Events and the next State. It does all the interpretation
//     (which transactions are a person's and which are the sequencer's
//     batches, which batches hold transactions, when a deposit is
//     credited), so it is what the tests exercise.
//  3. Printer writes each Event as a line above the status line
//     (StatusLine of the State), which it rewrites in place on a terminal
//     ("\r" and clear-to-end-of-line); when the output is not a terminal
//     it prints only the event lines and a status line every
//     PlainStatusEvery.
//
// Watcher runs the loop; FirstBlock measures how long the first L2 block
// takes.
package watch
