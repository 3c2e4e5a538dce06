package lockstep;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.Iterator;
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

  static final Label ACCOUNT = Label.label("Account"),
      IP = Label.label("IP"),
      DEVICE = Label.label("Device"),
      TARGET = Label.label("Target");
  static final RelationshipType USED_IP = RelationshipType.withName("USED_IP"),
      USED_DEVICE = RelationshipType.withName("USED_DEVICE"),
      LOOKED_UP = RelationshipType.withName("LOOKED_UP"),
      MATCHED = RelationshipType.withName("MATCHED");

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
              buf.tag(TAG_DEVICE).uvarint(n.getId()).string(str(n, "id"));
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
    final Buf buf = new Buf();
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
      buf.tag(TAG_IP)
          .uvarint(n.getId())
          .string(str(n, "addr"))
          .uvarint(num(n.getProperty("asn", null)))
          .string(str(n, "asnOrg"))
          .string(str(n, "country"))
          .string(str(n, "kind"));
      items++;
    }

    void packTarget(Node n) {
      long id = n.getId();
      Object off = n.getProperty("offset", null);
      // E-mail targets have no block to sweep; they appear through the lookups that name them.
      if (off instanceof Number o && o.longValue() >= 0) {
        buf.tag(TAG_TARGET).uvarint(id).string(str(n, "block")).varint(o.longValue());
        items++;
      }
      for (Relationship r : n.getRelationships(Direction.OUTGOING, MATCHED)) {
        buf.tag(TAG_MATCH).uvarint(id).uvarint(r.getEndNode().getId());
      }
    }

    void packAccount(Node a) {
      buf.tag(TAG_ACCOUNT)
          .uvarint(a.getId())
          .string(str(a, "id"))
          .varint(seconds(a.getProperty("createdAt", null)))
          .string(str(a, "country"))
          .tag(Boolean.TRUE.equals(a.getProperty("allowlisted", null)) ? 1 : 0);
      relationships(a, USED_IP, IP, false);
      relationships(a, USED_DEVICE, DEVICE, false);
      relationships(a, LOOKED_UP, TARGET, true);
      items++;
    }

    // relationships packs a count then, per relationship: the other node's id, first (Unix
    // seconds), last - first, count and, for lookups, hits. Degree is known up front, but a
    // relationship to a node without the label (not part of the model) is skipped, so the count
    // is patched in after.
    private void relationships(Node a, RelationshipType type, Label want, boolean hits) {
      int countAt = buf.len;
      buf.reserveCount();
      int n = 0;
      for (Relationship r : a.getRelationships(Direction.OUTGOING, type)) {
        Node other = r.getEndNode();
        if (!other.hasLabel(want)) {
          continue;
        }
        long first = seconds(r.getProperty("first", null));
        long last = seconds(r.getProperty("last", null));
        buf.uvarint(other.getId()).varint(first).varint(last - first).uvarint(Math.max(1, num(r.getProperty("count", null))));
        if (hits) {
          buf.uvarint(num(r.getProperty("hits", null)));
        }
        n++;
      }
      buf.patchCount(countAt, n);
    }
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
    byte[] b = new byte[CHUNK_BYTES + (CHUNK_BYTES >> 2)];
    int len;

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

    // A relationship count takes a fixed 4-byte uvarint slot (up to 2^28 relationships per
    // account), so it can be written after the relationships are counted.
    void reserveCount() {
      room(4);
      len += 4;
    }

    void patchCount(int at, int n) {
      b[at] = (byte) ((n & 0x7F) | 0x80);
      b[at + 1] = (byte) (((n >>> 7) & 0x7F) | 0x80);
      b[at + 2] = (byte) (((n >>> 14) & 0x7F) | 0x80);
      b[at + 3] = (byte) ((n >>> 21) & 0x7F);
    }
  }
}
