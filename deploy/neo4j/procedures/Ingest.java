package lockstep;

import static lockstep.Model.*;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.neo4j.exceptions.KernelException;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.Transaction;
import org.neo4j.internal.kernel.api.IndexQueryConstraints;
import org.neo4j.internal.kernel.api.IndexReadSession;
import org.neo4j.internal.kernel.api.NodeValueIndexCursor;
import org.neo4j.internal.kernel.api.PropertyIndexQuery;
import org.neo4j.internal.kernel.api.TokenRead;
import org.neo4j.internal.schema.IndexDescriptor;
import org.neo4j.internal.schema.SchemaDescriptors;
import org.neo4j.kernel.api.KernelTransaction;
import org.neo4j.kernel.impl.coreapi.InternalTransaction;
import org.neo4j.procedure.Context;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;
import org.neo4j.procedure.TerminationGuard;

/**
 * Ingest applies one batch of aggregated ingest rows, packed by Go, in the caller's transaction.
 *
 * <p>Why a procedure: through Cypher, every row is a map of boxed values that Bolt decodes and the
 * Cypher runtime interprets (UNWIND, MERGE, CASE per property); Neo4j spent about 65 µs of CPU
 * per record that way, with its own LOAD CSV too. Here a row is a few varints and strings, and
 * the merge is a handful of core-API calls.
 *
 * <p>It does exactly what the Cypher statements of store/ingest.go do, MERGE semantics included:
 * nodes are merged on their unique key with a locking unique-index seek (as Cypher's MERGE does,
 * so concurrent transactions never create a key twice) and, like {@code SET x = coalesce(row.x,
 * x)}, a field the row leaves empty keeps the stored value; relationships are merged between
 * their two ends, widening first/last and adding count and hits. If {@code batch} is not empty,
 * its marker {@code (:IngestBatch {id: batch})} is created first; if it exists already the batch
 * was committed before and nothing is changed ({@code done} = true). Since this runs in the
 * caller's transaction, marker and data commit together or not at all.
 *
 * <p>The encoding is documented beside its encoder in store/ingest_packed.go; the two must change
 * together (the FORMAT argument guards that).
 */
public class Ingest {
  /** FORMAT changes whenever the encoding does; other versions are refused. */
  public static final long FORMAT = 1;

  @Context public Transaction tx;
  @Context public TerminationGuard guard;

  /** What one call did. */
  public static class Result {
    /** The batch marker existed: the batch was committed before and nothing was changed. */
    public boolean done;
    /** Rows applied (edge rows whose ends do not both exist are skipped, as MATCH does). */
    public long rows;

    Result(boolean done, long rows) {
      this.done = done;
      this.rows = rows;
    }
  }

  @Procedure(name = "lockstep.ingest", mode = Mode.WRITE)
  @Description(
      "lockstep.ingest(format, batch, kind, data): Lockstep's ingest write, packed. kind is"
          + " accounts, ips, devices, targets, USED_IP, USED_DEVICE, LOOKED_UP or MATCHED; a"
          + " non-empty batch is a marker id that makes a second application a no-op.")
  public Stream<Result> ingest(
      @Name("format") long format,
      @Name("batch") String batch,
      @Name("kind") String kind,
      @Name("data") byte[] data) {
    if (format != FORMAT) {
      throw new IllegalArgumentException(
          "lockstep.ingest: packed format " + format + " sent, this server reads " + FORMAT
              + ": restart the managed Neo4j so it loads the procedure of this Lockstep version");
    }
    if (data == null) {
      throw new IllegalArgumentException("lockstep.ingest: data is null");
    }
    Writer w = new Writer();
    try {
      if (batch != null && !batch.isEmpty()) {
        Keyed marker = w.key(BATCH, "id");
        long id = marker.seek(batch, true);
        if (id >= 0) {
          return Stream.of(new Result(true, 0));
        }
        Node m = tx.createNode(BATCH);
        m.setProperty("id", batch);
        m.setProperty("at", ZonedDateTime.now(ZoneOffset.UTC));
      }
      Reader r = new Reader(data);
      long rows;
      switch (kind) {
        case "accounts":
          rows = w.accounts(r);
          break;
        case "ips":
          rows = w.ips(r);
          break;
        case "devices":
          rows = w.devices(r);
          break;
        case "targets":
          rows = w.targets(r);
          break;
        case "USED_IP":
          rows = w.edges(r, USED_IP, IP, "addr", false);
          break;
        case "USED_DEVICE":
          rows = w.edges(r, USED_DEVICE, DEVICE, "id", false);
          break;
        case "LOOKED_UP":
          rows = w.edges(r, LOOKED_UP, TARGET, "key", true);
          break;
        case "MATCHED":
          rows = w.matched(r);
          break;
        default:
          throw new IllegalArgumentException("lockstep.ingest: unknown kind " + kind);
      }
      return Stream.of(new Result(false, rows));
    } catch (KernelException e) {
      throw new RuntimeException("lockstep.ingest " + kind + " " + batch + ": " + e.getMessage(), e);
    } finally {
      w.close();
    }
  }

  /** Writer holds the kernel handles of one call. */
  final class Writer {
    final InternalTransaction itx = (InternalTransaction) tx;
    final KernelTransaction ktx = itx.kernelTransaction();
    final List<Keyed> keys = new ArrayList<>();
    int n;

    Keyed key(Label label, String prop) throws KernelException {
      for (Keyed k : keys) {
        if (k.label.equals(label) && k.prop.equals(prop)) {
          return k;
        }
      }
      Keyed k = new Keyed(this, label, prop);
      keys.add(k);
      return k;
    }

    void close() {
      for (Keyed k : keys) {
        k.cursor.close();
      }
    }

    void tick() {
      if (++n % 1024 == 0) {
        guard.check();
      }
    }

    Node node(long id) {
      return itx.newNodeEntity(id);
    }

    // MERGE (a:Account {id}) ON CREATE SET a.status = 'active'
    // SET a.handle = coalesce(row.handle, a.handle), ... createdAt, country, verified
    long accounts(Reader r) throws KernelException {
      Keyed k = key(ACCOUNT, "id");
      long rows = 0;
      while (r.more()) {
        int flags = r.flags();
        String id = r.string();
        String handle = (flags & 1) != 0 ? r.string() : null;
        ZonedDateTime created = (flags & 2) != 0 ? r.time() : null;
        String country = (flags & 4) != 0 ? r.string() : null;
        Node a = k.merge(id);
        if (k.created) {
          a.setProperty("status", "active");
        }
        if (handle != null) {
          a.setProperty("handle", handle);
        }
        if (created != null) {
          a.setProperty("createdAt", created);
        }
        if (country != null) {
          a.setProperty("country", country);
        }
        if ((flags & 8) != 0) {
          a.setProperty("verified", (flags & 16) != 0);
        }
        rows++;
        tick();
      }
      return rows;
    }

    // MERGE (i:IP {addr}) SET i.asn = coalesce(row.asn, i.asn), asnOrg, country,
    // i.kind = coalesce(row.kind, i.kind, 'unknown')
    long ips(Reader r) throws KernelException {
      Keyed k = key(IP, "addr");
      long rows = 0;
      while (r.more()) {
        int flags = r.flags();
        String addr = r.string();
        long asn = (flags & 1) != 0 ? r.uvarint() : -1;
        String org = (flags & 2) != 0 ? r.string() : null;
        String country = (flags & 4) != 0 ? r.string() : null;
        String kind = (flags & 8) != 0 ? r.string() : null;
        Node i = k.merge(addr);
        if (asn >= 0) {
          i.setProperty("asn", asn);
        }
        if (org != null) {
          i.setProperty("asnOrg", org);
        }
        if (country != null) {
          i.setProperty("country", country);
        }
        if (kind != null) {
          i.setProperty("kind", kind);
        } else if (!i.hasProperty("kind")) {
          i.setProperty("kind", "unknown");
        }
        rows++;
        tick();
      }
      return rows;
    }

    // MERGE (d:Device {id}) SET d.os = coalesce(row.os, d.os), d.client = coalesce(...)
    long devices(Reader r) throws KernelException {
      Keyed k = key(DEVICE, "id");
      long rows = 0;
      while (r.more()) {
        int flags = r.flags();
        String id = r.string();
        String os = (flags & 1) != 0 ? r.string() : null;
        String client = (flags & 2) != 0 ? r.string() : null;
        Node d = k.merge(id);
        if (os != null) {
          d.setProperty("os", os);
        }
        if (client != null) {
          d.setProperty("client", client);
        }
        rows++;
        tick();
      }
      return rows;
    }

    long targets(Reader r) throws KernelException {
      Keyed k = key(TARGET, "key");
      long rows = 0;
      while (r.more()) {
        String key = r.string();
        target(k, key, r);
        rows++;
        tick();
      }
      return rows;
    }

    // MERGE (b:Target {key}) ON CREATE SET b.masked, b.kind, b.region (if any), b.block,
    // b.offset. The properties are read from r whether or not the node is new.
    Node target(Keyed k, String key, Reader r) throws KernelException {
      String masked = r.string(), kind = r.string(), region = r.string(), block = r.string();
      long offset = r.varint();
      Node t = k.merge(key);
      if (k.created) {
        t.setProperty("masked", masked);
        t.setProperty("kind", kind);
        if (!region.isEmpty()) {
          t.setProperty("region", region);
        }
        t.setProperty("block", block);
        t.setProperty("offset", offset);
      }
      return t;
    }

    // MATCH (a:Account {id: row.from}) MATCH (b:Label {key: row.to}) (LOOKED_UP: MERGE the
    // Target) MERGE (a)-[r:REL]->(b) ON CREATE SET first, last, count[, hits]
    // ON MATCH SET first = min, last = max, count = count + row.count[, hits = coalesce(hits, 0)
    // + row.hits].
    long edges(Reader r, RelationshipType type, Label label, String prop, boolean lookups)
        throws KernelException {
      Keyed from = key(ACCOUNT, "id");
      Keyed to = key(label, prop);
      long rows = 0;
      while (r.more()) {
        String fromKey = r.string(), toKey = r.string();
        ZonedDateTime first = r.time(), last = r.time();
        long count = r.uvarint();
        long hits = lookups ? r.uvarint() : 0;
        long a = from.seek(fromKey, false);
        if (lookups) {
          if (a < 0) {
            // MATCH found no account: Cypher stops the row before its MERGE of the target.
            r.string();
            r.string();
            r.string();
            r.string();
            r.varint();
            tick();
            continue;
          }
          Node t = target(to, toKey, r);
          mergeEdge(node(a), t, to.created, type, first, last, count, hits, true);
          rows++;
        } else {
          long b = a < 0 ? -1 : to.seek(toKey, false);
          if (b >= 0) {
            mergeEdge(node(a), node(b), false, type, first, last, count, 0, false);
            rows++;
          }
        }
        tick();
      }
      return rows;
    }

    // MATCH (t:Target {key}) MATCH (a:Account {id}) MERGE (t)-[:MATCHED]->(a)
    long matched(Reader r) throws KernelException {
      Keyed targets = key(TARGET, "key");
      Keyed accounts = key(ACCOUNT, "id");
      long rows = 0;
      while (r.more()) {
        String targetKey = r.string(), accountID = r.string();
        long t = targets.seek(targetKey, false);
        long a = t < 0 ? -1 : accounts.seek(accountID, false);
        if (a >= 0) {
          Node tn = node(t), an = node(a);
          if (findEdge(tn, an, MATCHED) == null) {
            lockBoth(tn, an);
            if (findEdge(tn, an, MATCHED) == null) {
              tn.createRelationshipTo(an, MATCHED);
            }
          }
          rows++;
        }
        tick();
      }
      return rows;
    }

    // fresh says b was created by this transaction: no other transaction can see it, so it has
    // no relationship but those made here and nobody else can create one to it; the lookup and
    // the locks are skipped.
    void mergeEdge(
        Node a,
        Node b,
        boolean fresh,
        RelationshipType type,
        ZonedDateTime first,
        ZonedDateTime last,
        long count,
        long hits,
        boolean withHits) {
      Relationship rel = fresh ? null : findEdge(a, b, type);
      if (rel == null && !fresh) {
        // As Cypher's MERGE: lock both ends, then look again before creating, so two
        // transactions never create the same relationship twice.
        lockBoth(a, b);
        rel = findEdge(a, b, type);
      }
      if (rel == null) {
        rel = a.createRelationshipTo(b, type);
        rel.setProperty("first", first);
        rel.setProperty("last", last);
        rel.setProperty("count", count);
        if (withHits) {
          rel.setProperty("hits", hits);
        }
        return;
      }
      // CASE WHEN row.first < r.first THEN row.first ELSE r.first END: a stored value that is
      // not a date-time compares as null, so the ELSE branch keeps it.
      Instant f = instant(rel.getProperty("first", null));
      if (f != null && first.toInstant().isBefore(f)) {
        rel.setProperty("first", first);
      }
      Instant l = instant(rel.getProperty("last", null));
      if (l != null && last.toInstant().isAfter(l)) {
        rel.setProperty("last", last);
      }
      // r.count = r.count + row.count: null + x is null, which removes the property.
      Object c = rel.getProperty("count", null);
      if (c instanceof Long x) {
        rel.setProperty("count", x + count);
      } else if (c != null) {
        rel.removeProperty("count");
      }
      if (withHits) {
        Object h = rel.getProperty("hits", null);
        long old = h instanceof Long x ? x : 0;
        rel.setProperty("hits", old + hits);
      }
    }

    void lockBoth(Node a, Node b) {
      tx.acquireWriteLock(a);
      tx.acquireWriteLock(b);
    }

    // findEdge walks the relationships of the end with the smaller degree of that type (a hub IP
    // has thousands of USED_IP, an enumerator thousands of LOOKED_UP; the other end few).
    Relationship findEdge(Node a, Node b, RelationshipType type) {
      long bid = b.getId();
      long aid = a.getId();
      if (a.getDegree(type, Direction.OUTGOING) <= b.getDegree(type, Direction.INCOMING)) {
        for (Relationship r : a.getRelationships(Direction.OUTGOING, type)) {
          if (r.getEndNodeId() == bid) {
            return r;
          }
        }
      } else {
        for (Relationship r : b.getRelationships(Direction.INCOMING, type)) {
          if (r.getStartNodeId() == aid) {
            return r;
          }
        }
      }
      return null;
    }
  }

  static Instant instant(Object v) {
    if (v instanceof ZonedDateTime z) {
      return z.toInstant();
    }
    if (v instanceof OffsetDateTime o) {
      return o.toInstant();
    }
    return null;
  }

  /** Keyed finds nodes of one label by the property its uniqueness constraint covers. */
  static final class Keyed {
    final Writer w;
    final Label label;
    final String prop;
    final int labelId, propId;
    final IndexDescriptor index;
    final IndexReadSession session;
    final NodeValueIndexCursor cursor;
    /** Whether the last merge created its node. */
    boolean created;

    Keyed(Writer w, Label label, String prop) throws KernelException {
      this.w = w;
      this.label = label;
      this.prop = prop;
      KernelTransaction ktx = w.ktx;
      TokenRead tokens = ktx.tokenRead();
      labelId = tokens.nodeLabel(label.name());
      propId = tokens.propertyKey(prop);
      IndexDescriptor found = null;
      if (labelId >= 0 && propId >= 0) { // -1: no such token
        Iterator<IndexDescriptor> it = ktx.schemaRead().index(SchemaDescriptors.forLabel(labelId, propId));
        while (it.hasNext()) {
          IndexDescriptor d = it.next();
          if (d.isUnique()) {
            found = d;
          }
        }
      }
      if (found == null) {
        throw new IllegalStateException(
            "lockstep.ingest: no uniqueness constraint on :" + label.name() + "(" + prop
                + "); run Lockstep's schema migration (Store.PrepareIngest) first");
      }
      index = found;
      session = ktx.dataRead().indexReadSession(index);
      cursor = ktx.cursors().allocateNodeValueIndexCursor(ktx.cursorContext(), ktx.memoryTracker());
    }

    /**
     * seek returns the node id with this key, or -1. locking: as MERGE does, lock the index entry
     * (shared when found, exclusive when not, so that the caller may create it) until commit.
     */
    long seek(String key, boolean locking) throws KernelException {
      PropertyIndexQuery.ExactPredicate q = PropertyIndexQuery.exact(propId, key);
      if (locking) {
        return w.ktx.dataRead().lockingNodeUniqueIndexSeek(index, cursor, q);
      }
      w.ktx
          .dataRead()
          .nodeIndexSeek(w.ktx.queryContext(), session, cursor, IndexQueryConstraints.unconstrained(), q);
      return cursor.next() ? cursor.nodeReference() : -1;
    }

    /** merge finds or creates the node with this key; created tells which. */
    Node merge(String key) throws KernelException {
      long id = seek(key, true);
      created = id < 0;
      if (!created) {
        return w.node(id);
      }
      Node n = w.itx.createNode(label);
      n.setProperty(prop, key);
      return n;
    }
  }

  /** Reader decodes the packed rows; a malformed input fails with the byte offset. */
  static final class Reader {
    final byte[] b;
    int at;

    Reader(byte[] b) {
      this.b = b;
    }

    boolean more() {
      return at < b.length;
    }

    private IllegalArgumentException bad(String what) {
      return new IllegalArgumentException("lockstep.ingest: malformed data: " + what + " at byte " + at + " of " + b.length);
    }

    int flags() {
      if (at >= b.length) {
        throw bad("truncated flags");
      }
      return b[at++] & 0xFF;
    }

    long uvarint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (at >= b.length) {
          throw bad("truncated varint");
        }
        int c = b[at++] & 0xFF;
        v |= (long) (c & 0x7F) << shift;
        if (c < 0x80) {
          return v;
        }
      }
      throw bad("varint too long");
    }

    long varint() {
      long u = uvarint();
      return (u >>> 1) ^ -(u & 1);
    }

    String string() {
      long n = uvarint();
      if (n < 0 || n > b.length - at) {
        throw bad("string of " + n + " bytes past the end");
      }
      String s = new String(b, at, (int) n, StandardCharsets.UTF_8);
      at += (int) n;
      return s;
    }

    // A time is Unix seconds (varint) and nanoseconds (uvarint), stored in UTC as the Cypher
    // path does (Go sends times with a zero offset: a DateTime "...Z").
    ZonedDateTime time() {
      long s = varint();
      long ns = uvarint();
      if (ns >= 1_000_000_000L) {
        throw bad("nanoseconds " + ns);
      }
      try {
        return ZonedDateTime.ofInstant(Instant.ofEpochSecond(s, ns), ZoneOffset.UTC);
      } catch (RuntimeException e) {
        throw bad("time " + s + "s out of range");
      }
    }
  }
}
