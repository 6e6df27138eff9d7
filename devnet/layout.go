package devnet

import (
	"fmt"
	"path/filepath"
)

// Files and directories inside a devnet data directory.
const (
	configFileName    = "devnet.json"
	endpointsFileName = "endpoints.json"
	genesisFileName   = "genesis.json"
	passwordFileName  = "password"
	lockFileName      = "devnet.pid"
	logsDirName       = "logs"
	keysDirName       = "keys"
	// SequencerKeyPath is the sequencer's keystore file, relative to the
	// data directory.
	SequencerKeyPath = keysDirName + "/sequencer.json"
	// ChallengerKeyPath is the challenger's keystore file (development
	// account 9, funded on L1, pays for challenges), relative to the
	// data directory.
	ChallengerKeyPath = keysDirName + "/challenger.json"
	// SequencerName is the sequencer's name: its data directory, its log
	// file's stem and its name in endpoints.json and the docker-compose
	// service.
	SequencerName = "sequencer"
	// ChallengerName is the challenger's name: its data directory, its
	// log file's stem and its name in endpoints.json and the
	// docker-compose service.
	ChallengerName = "challenger"
)

// Layout names the files of a devnet data directory:
//
//	<dir>/devnet.json      the devnet's settings (validator count, port offset, mode)
//	<dir>/genesis.json     the genesis every node was initialised with
//	<dir>/password         the key files' password (mode 0600)
//	<dir>/validator-<i>/   validator i's data directory (validator init)
//	<dir>/keys/sequencer.json  the sequencer's key (Web3 Secret Storage, the password file's password)
//	<dir>/sequencer/       the sequencer's data directory (sequencer init, with that key)
//	<dir>/challenger/      the challenger's data directory (its L2 chain, derived from the L1)
//	<dir>/logs/<name>.log  each node's log
//	<dir>/endpoints.json   what is running where (written by up)
//	<dir>/devnet.pid       the lock held while a devnet runs on <dir>
type Layout struct {
	// Dir is the devnet data directory.
	Dir string
}

// NodeName is the name of validator i: validator-<i>.
func NodeName(i int) string { return fmt.Sprintf("validator-%d", i) }

// NodeDir is validator i's data directory.
func (l Layout) NodeDir(i int) string { return filepath.Join(l.Dir, NodeName(i)) }

// SequencerDir is the sequencer's data directory.
func (l Layout) SequencerDir() string { return filepath.Join(l.Dir, SequencerName) }

// ChallengerDir is the challenger's data directory.
func (l Layout) ChallengerDir() string { return filepath.Join(l.Dir, ChallengerName) }

// LogFile is the log file of the named node.
func (l Layout) LogFile(name string) string { return filepath.Join(l.Dir, logsDirName, name+".log") }

// LogsDir is the directory holding every node's log.
func (l Layout) LogsDir() string { return filepath.Join(l.Dir, logsDirName) }

// ConfigFile is the devnet settings file.
func (l Layout) ConfigFile() string { return filepath.Join(l.Dir, configFileName) }

// EndpointsFile is endpoints.json.
func (l Layout) EndpointsFile() string { return filepath.Join(l.Dir, endpointsFileName) }

// GenesisFile is the devnet genesis.
func (l Layout) GenesisFile() string { return filepath.Join(l.Dir, genesisFileName) }

// PasswordFile holds the password of every key file of the devnet.
func (l Layout) PasswordFile() string { return filepath.Join(l.Dir, passwordFileName) }

// LockFile holds the pid of the devnet process running on the directory.
func (l Layout) LockFile() string { return filepath.Join(l.Dir, lockFileName) }

// ChallengerKeyFile is the challenger's keystore file: the account that
// pays for fraud proofs and earns half the bond of a sequencer it proves
// wrong.
func (l Layout) ChallengerKeyFile() string {
	return filepath.Join(l.Dir, filepath.FromSlash(ChallengerKeyPath))
}

// SequencerKeyFile is the sequencer's keystore file: the key that posts
// batches, named as the rollup section's sequencer and funded on L1. It is
// encrypted with the password in PasswordFile, for "sequencer ...
// --keystore <file> --password-file <dir>/password".
func (l Layout) SequencerKeyFile() string {
	return filepath.Join(l.Dir, filepath.FromSlash(SequencerKeyPath))
}
