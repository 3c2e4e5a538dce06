package benchrun

import "os"

func ExampleReport_WriteTable() {
	r := &Report{Accounts: 1000, Seed: 1, Records: 22323, CPUs: 2, LoadBefore: "1.00 1.00 1.00", LoadAfter: "2.00 1.50 1.00", Seconds: 95,
		Rows: []Row{
			rate("ingest (transactional, batched UNWIND)", "records/s", 2000, "Neo4j LOAD CSV of the same rows", 1000, "22323 records"),
			duration("detect: read", 0.5, "plain Cypher read into the same builder", 1.5, "the run read through PROCEDURE"),
			incrementalRow(),
		},
		Memory: Memory{Accounts: 1000, Nodes: 10000, Relationships: 12000, ReadHeapBytes: 1200000, SimilarityEdges: 400, SimilarityHeapBytes: 20000, DetectPeakRSSMiB: 80},
	}
	r.WriteTable(os.Stdout)
	// Output:
	// lockstep bench: 1000 accounts (seed 1), 22323 records; 2 CPUs, load 1.00 1.00 1.00 before, 2.00 1.50 1.00 after; 95 s
	//
	// benchmark                               ours            baseline  speedup
	// ingest (transactional, batched UNWIND)  2000 records/s  1000      2.00x
	// detect: read                            0.500 s         1.50      3.00x
	// detect: incremental run, 1% increment   skipped         -         -
	//
	// baselines and details (speedup: how many times better ours is than the baseline):
	// - ingest (transactional, batched UNWIND): baseline Neo4j LOAD CSV of the same rows; 22323 records
	// - detect: read: baseline plain Cypher read into the same builder; the run read through PROCEDURE
	// - detect: incremental run, 1% increment: skipped: `lockstep detect --incremental` is not built: an exact one re-scores 80% of the 1M world's networks after a 1% increment and would take about a third of a full run (docs/SCALING.md)
	//
	// memory: 10000 nodes (10.00 an account), 12000 relationships read by detection (12.00 an account), 400 similarity edges (0.400 an account)
	// Go heap of detection's read 1200 B an account, 100.0 B a relationship; of the similarity graph 50.0 B an edge; detection's peak RSS 80 MiB
}
