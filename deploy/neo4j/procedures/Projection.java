package lockstep;

import static lockstep.Model.*;
import static org.neo4j.token.api.TokenConstants.NO_TOKEN;

import java.nio.charset.StandardCharsets;
import java.time.temporal.ChronoField;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.Transaction;
import org.neo4j.internal.kernel.api.CursorFactory;
import org.neo4j.internal.kernel.api.EntityCursor;
import org.neo4j.internal.kernel.api.NodeCursor;
import org.neo4j.internal.kernel.api.PropertyCursor;
import org.neo4j.internal.kernel.api.Read;
import org.neo4j.internal.kernel.api.RelationshipTraversalCursor;
import org.neo4j.internal.kernel.api.TokenRead;
import org.neo4j.kernel.api.KernelTransaction;
import org.neo4j.kernel.impl.coreapi.InternalTransaction;
import org.neo4j.procedure.Context;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;
import org.neo4j.procedure.TerminationGuard;
import org.neo4j.storageengine.api.PropertySelection;
import org.neo4j.storageengine.api.RelationshipSelection;
import org.neo4j.values.storable.BooleanValue;
import org.neo4j.values.storable.DateTimeValue;
import org.neo4j.values.storable.NumberValue;
import org.neo4j.values.storable.TextValue;
import org.neo4j.values.storable.Value;
import org.neo4j.values.storable.Values;

/**
 * Projection streams what detection reads (accounts, IPs, devices, targets and their
 * relationships) packed into binary chunks.
 *
 * <p>Why a procedure: through Cypher, Bolt and the Go driver, every property of every
 * relationship is a boxed value on both sides; reading the 15 million relationships of a
 * million-account world that way took over a minute, almost all of it encoding and decoding.
 * Here one record carries thousands of items as varints, read with the kernel's cursors. The format is
 * documented beside its decoder in store/projection_packed.go; the two must change together (the
 * FORMAT version guards that). Lockstep falls back to plain Cypher on servers without this
 * procedure.
 *
 * <p>Stages: "resources" emits IPs, devices and targets; "accounts" emits accounts with their
 * USED_IP, USED_DEVICE and LOOKED_UP relationships, each account followed by its MATCHED items.
 * Nodes are split among {@code parts} callers by node id, so several sessions can read at once.
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
    Packer it;
    switch (stage) {
      case "resources":
        it = new Packer(part, parts, IP, DEVICE, TARGET) {
          @Override
          void pack(int label) {
            if (label == 0) {
              packIP();
            } else if (label == 1) {
              packDevice();
            } else {
              packTarget();
            }
          }
        };
        break;
      case "accounts":
        it = new Packer(part, parts, ACCOUNT) {
          @Override
          void pack(int label) {
            packAccount();
          }
        };
        break;
      default:
        throw new IllegalArgumentException("lockstep.projection: unknown stage " + stage);
    }
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, 0), false).onClose(it::close);
  }

  /**
   * Packer walks the nodes of some labels and cuts what it packs into chunks.
   *
   * <p>It reads through the kernel's cursors, not the core API: a profile of the core API read
   * on a 300k-account world spent a third of its time on what the cursors make free (an entity
   * object, an iterator and a HashMap per node and relationship, property and type names
   * resolved to token ids on every call). Three cursors are allocated once and reused for every
   * node, relationship and property.
   */
  abstract class Packer implements Iterator<Chunk>, AutoCloseable {
    final long part, parts;
    final int[] labels;
    final Read read;
    final NodeCursor node;
    final RelationshipTraversalCursor rel;
    final PropertyCursor prop;
    final TokenRead tokens;
    boolean scanning;
    final Buf buf = new Buf(CHUNK_BYTES + (CHUNK_BYTES >> 2));
    long items;
    Chunk next;
    boolean done;

    Packer(long part, long parts, Label... labels) {
      this.part = part;
      this.parts = parts;
      KernelTransaction ktx = ((InternalTransaction) tx).kernelTransaction();
      read = ktx.dataRead();
      tokens = ktx.tokenRead();
      this.labels = new int[labels.length];
      for (int i = 0; i < labels.length; i++) {
        this.labels[i] = tokens.nodeLabel(labels[i].name());
      }
      CursorFactory cursors = ktx.cursors();
      node = cursors.allocateNodeCursor(ktx.cursorContext(), ktx.memoryTracker());
      rel = cursors.allocateRelationshipTraversalCursor(ktx.cursorContext(), ktx.memoryTracker());
      prop = cursors.allocatePropertyCursor(ktx.cursorContext(), ktx.memoryTracker());
      ipProps = keys("addr", "asn", "asnOrg", "country", "kind");
      deviceProps = keys("id");
      targetProps = keys("offset", "block");
      accountProps = keys("id", "createdAt", "country", "allowlisted");
      relProps = keys("first", "last", "count", "hits");
      // Both directions: the account's own USED_IP, USED_DEVICE and LOOKED_UP go out, MATCHED
      // comes in from a target (ingest creates them no other way).
      used = types(Direction.BOTH, USED_IP, USED_DEVICE, LOOKED_UP, MATCHED);
      usedTypes = new int[] {type(USED_IP), type(USED_DEVICE), type(LOOKED_UP)};
      matchedType = type(MATCHED);
    }

    /** pack packs the node under the cursor, which has labels[label]. */
    abstract void pack(int label);

    @Override
    public void close() {
      node.close();
      rel.close();
      prop.close();
    }

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

    // One scan of the node store for all the labels: each kind keeps the order of its label's
    // index (ascending node ids), which is all detection's dense ids follow (they are counted per
    // kind), and the store is read once, not once per label.
    private Chunk fill() {
      int seen = 0;
      while (buf.len < CHUNK_BYTES) {
        if (!scanning) {
          read.allNodesScan(node);
          scanning = true;
        }
        if (!node.next()) {
          done = true;
          break;
        }
        if (++seen % 4096 == 0) {
          guard.check();
        }
        if (Math.floorMod(node.nodeReference(), parts) != part) {
          continue;
        }
        for (int i = 0; i < labels.length; i++) {
          if (labels[i] != NO_TOKEN && node.hasLabel(labels[i])) {
            pack(i);
            break;
          }
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

    final Keys ipProps, deviceProps, targetProps, accountProps, relProps;
    final RelationshipSelection used;
    final int[] usedTypes;
    final int matchedType;

    void packIP() {
      Value[] p = ipProps.of(node);
      buf.tag(TAG_IP)
          .uvarint(node.nodeReference())
          .string(str(p[0]))
          .uvarint(num(p[1]))
          .string(str(p[2]))
          .string(str(p[3]))
          .string(str(p[4]));
      items++;
    }

    void packDevice() {
      buf.tag(TAG_DEVICE).uvarint(node.nodeReference()).string(str(deviceProps.of(node)[0]));
      items++;
    }

    void packTarget() {
      long id = node.nodeReference();
      Value[] p = targetProps.of(node);
      // E-mail targets have no block to sweep; they appear through the lookups that name them.
      if (p[0] instanceof NumberValue o && o.longValue() >= 0) {
        buf.tag(TAG_TARGET).uvarint(id).string(str(p[1])).varint(o.longValue());
        items++;
      }
    }

    // Scratch buffers for one account's relationships of each kind: one walk of the account's
    // relationship chain fills all three (asking per type walks a sparse node's chain once per
    // type), and each goes out after its count.
    final Buf[] rels = {new Buf(256), new Buf(256), new Buf(256)};
    final int[] relCounts = new int[3];
    // MATCHED items of the account, which follow it.
    final Buf matches = new Buf(64);

    void packAccount() {
      Value[] p = accountProps.of(node);
      buf.tag(TAG_ACCOUNT)
          .uvarint(node.nodeReference())
          .string(str(p[0]))
          .varint(seconds(p[1]))
          .string(str(p[2]))
          .tag(p[3] instanceof BooleanValue b && b.booleanValue() ? 1 : 0);
      for (int k = 0; k < 3; k++) {
        rels[k].len = 0;
        relCounts[k] = 0;
      }
      matches.len = 0;
      if (used != null) {
        // Relationships of these types always end at a node of the matching label (ingest creates
        // them no other way), so the other node's labels are not read. MATCHED comes in this same
        // walk: read from the target's side, it cost a walk of every target's chain (mostly
        // LOOKED_UP) to find the few matches, a fifth of the whole read.
        long a = node.nodeReference();
        node.relationships(rel, used);
        while (rel.next()) {
          int t = rel.type();
          if (t == matchedType) {
            matches.tag(TAG_MATCH).uvarint(rel.otherNodeReference()).uvarint(a);
            continue;
          }
          int k = t == usedTypes[0] ? 0 : t == usedTypes[1] ? 1 : 2;
          Value[] rp = relProps.of(rel);
          long first = seconds(rp[0]);
          long last = seconds(rp[1]);
          rels[k].uvarint(rel.otherNodeReference()).varint(first).varint(last - first).uvarint(Math.max(1, num(rp[2])));
          if (k == 2) {
            rels[k].uvarint(num(rp[3]));
          }
          relCounts[k]++;
        }
      }
      for (int k = 0; k < 3; k++) {
        buf.uvarint(relCounts[k]).bytes(rels[k]);
      }
      buf.bytes(matches);
      items++;
    }

    int type(RelationshipType t) {
      return tokens.relationshipType(t.name());
    }

    /** types selects the relationships of the types that exist, or is null when none does. */
    RelationshipSelection types(Direction d, RelationshipType... ts) {
      int[] ids = Arrays.stream(ts).mapToInt(this::type).filter(id -> id != NO_TOKEN).toArray();
      return ids.length == 0 ? null : RelationshipSelection.selection(ids, d);
    }

    Keys keys(String... names) {
      int[] ids = new int[names.length];
      for (int i = 0; i < names.length; i++) {
        ids[i] = tokens.propertyKey(names[i]);
      }
      return new Keys(ids);
    }

    /** Keys reads some properties of an entity in one walk of its property chain. */
    final class Keys {
      final int[] ids;
      final PropertySelection selection;
      final Value[] values;

      Keys(int[] ids) {
        this.ids = ids;
        int[] known = Arrays.stream(ids).filter(id -> id != NO_TOKEN).toArray();
        selection = known.length == 0 ? PropertySelection.NO_PROPERTIES : PropertySelection.selection(known);
        values = new Value[ids.length];
      }

      /** of returns the values in the order of the names, NO_VALUE where one is missing. */
      Value[] of(EntityCursor e) {
        Arrays.fill(values, Values.NO_VALUE);
        e.properties(prop, selection);
        while (prop.next()) {
          int key = prop.propertyKey();
          for (int i = 0; i < ids.length; i++) {
            if (ids[i] == key) {
              values[i] = prop.propertyValue();
            }
          }
        }
        return values;
      }
    }
  }

  static String str(Value v) {
    return v instanceof TextValue s ? s.stringValue() : "";
  }

  static long num(Value v) {
    return v instanceof NumberValue x ? Math.max(0, x.longValue()) : 0;
  }

  static long seconds(Value v) {
    if (v instanceof DateTimeValue d) {
      return d.getLong(ChronoField.INSTANT_SECONDS);
    }
    if (v instanceof NumberValue x) {
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
