package lockstep;

import static lockstep.Model.*;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.ResourceIterator;
import org.neo4j.graphdb.Transaction;
import org.neo4j.procedure.Context;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;
import org.neo4j.procedure.TerminationGuard;

/**
 * Projection streams what detection reads (accounts, IPs, devices, targets and their
 * relationships) packed into binary chunks.
 *
 * <p>Why a procedure: through Cypher, Bolt and the Go driver, every property of every
 * relationship is a boxed value on both sides; reading the 15 million relationships of a
 * million-account world that way took over a minute, almost all of it encoding and decoding.
 * Here one record carries thousands of items as varints, read with the core API. The format is
 * documented beside its decoder in store/projection_packed.go; the two must change together (the
 * FORMAT version guards that). Lockstep falls back to plain Cypher on servers without this
 * procedure.
 *
 * <p>Stages: "resources" emits IPs, devices, targets and MATCHED; "accounts" emits accounts with
 * their USED_IP, USED_DEVICE and LOOKED_UP relationships. Nodes are split among {@code parts}
 * callers by node id, so several sessions can read at once.
 */
public class Projection {
  /** FORMAT changes whenever the encoding does; the Go side refuses other versions. */
  public static final long FORMAT = 1;

  static final int TAG_IP = 1, TAG_DEVICE = 2, TAG_TARGET = 3, TAG_ACCOUNT = 4, TAG_MATCH = 5;
  static final int CHUNK_BYTES = 1 << 20;

  @Context public Transaction tx;
  @Context public TerminationGuard guard;

  /** One chunk of packed items. */
  public static class Chunk {
    public long format;
    public long items;
    public byte[] data;

    Chunk(long items, byte[] data) {
      this.format = FORMAT;
      this.items = items;
      this.data = data;
    }
  }

  @Procedure(name = "lockstep.projection", mode = Mode.READ)
  @Description(
      "lockstep.projection(stage, part, parts): Lockstep's detection read, packed. stage is"
          + " 'resources' or 'accounts'; this caller reads the nodes whose id mod parts = part.")
  public Stream<Chunk> projection(
      @Name("stage") String stage, @Name("part") long part, @Name("parts") long parts) {
    if (parts < 1 || part < 0 || part >= parts) {
      throw new IllegalArgumentException("lockstep.projection: want 0 <= part < parts, got " + part + "/" + parts);
    }
    Iterator<Chunk> it;
    switch (stage) {
      case "resources":
        it = new Packer(part, parts, new Label[] {IP, DEVICE, TARGET}) {
          @Override
          void pack(Label label, Node n) {
            if (label == IP) {
              packIP(n);
            } else if (label == DEVICE) {
              buf.tag(TAG_DEVICE).uvarint(n.getId()).string(str(n.getProperty("id", null)));
              items++;
            } else {
              packTarget(n);
            }
          }
        };
        break;
      case "accounts":
        it = new Packer(part, parts, new Label[] {ACCOUNT}) {
          @Override
          void pack(Label label, Node n) {
            packAccount(n);
          }
        };
        break;
      default:
        throw new IllegalArgumentException("lockstep.projection: unknown stage " + stage);
    }
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, 0), false);
  }

  /** Packer walks the nodes of some labels and cuts what it packs into chunks. */
  abstract class Packer implements Iterator<Chunk> {
    final long part, parts;
    final Label[] labels;
    int labelIndex = -1;
    ResourceIterator<Node> nodes;
    final Buf buf = new Buf(CHUNK_BYTES + (CHUNK_BYTES >> 2));
    long items;
    Chunk next;
    boolean done;

    Packer(long part, long parts, Label[] labels) {
      this.part = part;
      this.parts = parts;
      this.labels = labels;
    }

    abstract void pack(Label label, Node n);

    @Override
    public boolean hasNext() {
      if (next == null && !done) {
        next = fill();
      }
      return next != null;
    }

    @Override
    public Chunk next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Chunk c = next;
      next = null;
      return c;
    }

    private Chunk fill() {
      int seen = 0;
      while (buf.len < CHUNK_BYTES) {
        if (nodes == null || !nodes.hasNext()) {
          if (nodes != null) {
            nodes.close();
          }
          if (++labelIndex >= labels.length) {
            done = true;
            break;
          }
          nodes = tx.findNodes(labels[labelIndex]);
          continue;
        }
        Node n = nodes.next();
        if (++seen % 4096 == 0) {
          guard.check();
        }
        if (Math.floorMod(n.getId(), parts) == part) {
          pack(labels[labelIndex], n);
        }
      }
      if (buf.len == 0) {
        return null;
      }
      Chunk c = new Chunk(items, Arrays.copyOf(buf.b, buf.len));
      buf.len = 0;
      items = 0;
      return c;
    }

    void packIP(Node n) {
      Map<String, Object> p = n.getProperties("addr", "asn", "asnOrg", "country", "kind");
      buf.tag(TAG_IP)
          .uvarint(n.getId())
          .string(str(p.get("addr")))
          .uvarint(num(p.get("asn")))
          .string(str(p.get("asnOrg")))
          .string(str(p.get("country")))
          .string(str(p.get("kind")));
      items++;
    }

    void packTarget(Node n) {
      long id = n.getId();
      Map<String, Object> p = n.getProperties("offset", "block");
      // E-mail targets have no block to sweep; they appear through the lookups that name them.
      if (p.get("offset") instanceof Number o && o.longValue() >= 0) {
        buf.tag(TAG_TARGET).uvarint(id).string(str(p.get("block"))).varint(o.longValue());
        items++;
      }
      for (Relationship r : n.getRelationships(Direction.OUTGOING, MATCHED)) {
        buf.tag(TAG_MATCH).uvarint(id).uvarint(r.getEndNode().getId());
      }
    }

    // Scratch buffers for one account's relationships of each kind: one walk of the account's
    // relationship chain fills all three (asking per type walks a sparse node's chain once per
    // type), and each goes out after its count.
    final Buf[] rels = {new Buf(256), new Buf(256), new Buf(256)};
    final int[] relCounts = new int[3];

    void packAccount(Node a) {
      Map<String, Object> p = a.getProperties("id", "createdAt", "country", "allowlisted");
      buf.tag(TAG_ACCOUNT)
          .uvarint(a.getId())
          .string(str(p.get("id")))
          .varint(seconds(p.get("createdAt")))
          .string(str(p.get("country")))
          .tag(Boolean.TRUE.equals(p.get("allowlisted")) ? 1 : 0);
      for (int k = 0; k < 3; k++) {
        rels[k].len = 0;
        relCounts[k] = 0;
      }
      // Relationships of these types always end at a node of the matching label (ingest creates
      // them no other way), so the other node's labels are not read.
      for (Relationship r : a.getRelationships(Direction.OUTGOING, USED_IP, USED_DEVICE, LOOKED_UP)) {
        RelationshipType type = r.getType();
        int k = type.name().equals("USED_IP") ? 0 : type.name().equals("USED_DEVICE") ? 1 : 2;
        // One walk of the property chain for all four values, not one per getProperty.
        Map<String, Object> rp = r.getProperties("first", "last", "count", "hits");
        long first = seconds(rp.get("first"));
        long last = seconds(rp.get("last"));
        rels[k].uvarint(r.getEndNode().getId()).varint(first).varint(last - first).uvarint(Math.max(1, num(rp.get("count"))));
        if (k == 2) {
          rels[k].uvarint(num(rp.get("hits")));
        }
        relCounts[k]++;
      }
      for (int k = 0; k < 3; k++) {
        buf.uvarint(relCounts[k]).bytes(rels[k]);
      }
      items++;
    }
  }

  static String str(Object v) {
    return v instanceof String s ? s : "";
  }

  static String str(Node n, String key) {
    Object v = n.getProperty(key, null);
    return v instanceof String s ? s : "";
  }

  static long num(Object v) {
    return v instanceof Number x ? Math.max(0, x.longValue()) : 0;
  }

  static long seconds(Object v) {
    if (v instanceof ZonedDateTime z) {
      return z.toEpochSecond();
    }
    if (v instanceof OffsetDateTime o) {
      return o.toEpochSecond();
    }
    if (v instanceof Number x) {
      return x.longValue();
    }
    return 0;
  }

  /** Buf is a growable byte buffer with the varint encodings Go's encoding/binary reads. */
  static final class Buf {
    byte[] b;
    int len;

    Buf(int capacity) {
      b = new byte[capacity];
    }

    Buf bytes(Buf other) {
      room(other.len);
      System.arraycopy(other.b, 0, b, len, other.len);
      len += other.len;
      return this;
    }

    private void room(int n) {
      if (len + n > b.length) {
        b = Arrays.copyOf(b, Math.max(b.length * 2, len + n));
      }
    }

    Buf tag(int t) {
      room(1);
      b[len++] = (byte) t;
      return this;
    }

    Buf uvarint(long v) {
      room(10);
      while ((v & ~0x7FL) != 0) {
        b[len++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      b[len++] = (byte) v;
      return this;
    }

    Buf varint(long v) {
      return uvarint((v << 1) ^ (v >> 63));
    }

    Buf string(String s) {
      byte[] u = s.getBytes(StandardCharsets.UTF_8);
      uvarint(u.length);
      room(u.length);
      System.arraycopy(u, 0, b, len, u.length);
      len += u.length;
      return this;
    }
  }
}
