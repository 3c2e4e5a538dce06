package lockstep;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.neo4j.batchimport.api.BatchImporter;
import org.neo4j.batchimport.api.Configuration;
import org.neo4j.batchimport.api.IndexConfig;
import org.neo4j.batchimport.api.InputIterable;
import org.neo4j.batchimport.api.InputIterator;
import org.neo4j.batchimport.api.Monitor;
import org.neo4j.batchimport.api.input.Collector;
import org.neo4j.batchimport.api.input.IdType;
import org.neo4j.batchimport.api.input.Input;
import org.neo4j.batchimport.api.input.InputChunk;
import org.neo4j.batchimport.api.input.InputEntityVisitor;
import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.internal.batchimport.DefaultAdditionalIds;
import org.neo4j.internal.batchimport.input.Groups;
import org.neo4j.io.fs.DefaultFileSystemAbstraction;
import org.neo4j.io.layout.DatabaseLayout;
import org.neo4j.io.layout.Neo4jLayout;
import org.neo4j.io.pagecache.context.CursorContextFactory;
import org.neo4j.io.pagecache.context.FixedVersionContextSupplier;
import org.neo4j.io.pagecache.tracing.PageCacheTracer;
import org.neo4j.kernel.impl.index.schema.IndexImporterFactoryImpl;
import org.neo4j.kernel.impl.scheduler.JobSchedulerFactory;
import org.neo4j.kernel.impl.transaction.log.files.TransactionLogInitializer;
import org.neo4j.logging.NullLogProvider;
import org.neo4j.logging.internal.SimpleLogService;
import org.neo4j.memory.EmptyMemoryTracker;
import org.neo4j.scheduler.JobScheduler;
import org.neo4j.storageengine.api.StorageEngineFactory;
import org.neo4j.storageengine.api.TransactionIdStore;
import org.neo4j.values.storable.BooleanValue;
import org.neo4j.values.storable.DateTimeValue;
import org.neo4j.values.storable.LongValue;
import org.neo4j.values.storable.TextValue;
import org.neo4j.values.storable.Value;
import org.neo4j.values.storable.Values;

/**
 * BulkImport runs Neo4j's batch importer (the one behind {@code neo4j-admin database import
 * full}) on the binary files Lockstep's bulk merge writes (ingest/bulk_input.go), so that
 * neither side formats or parses CSV: the values arrive typed (strings, longs, booleans, UTC
 * date-times as epoch seconds and nanoseconds) and the node ids are the merge's own ({@code
 * --id-type=actual}). Lockstep's Go package deploy/neo4j runs it (import.go).
 *
 * <p>Usage: {@code java -cp CLASSPATH lockstep.BulkImport NEO4J_HOME MANIFEST} writes the store
 * of database neo4j under NEO4J_HOME/data; {@code lockstep.BulkImport --dump MANIFEST} prints
 * every entity instead, one a line (the Go tests compare that with what they encoded).
 *
 * <p>The manifest is text, one directive a line, fields separated by tabs: {@code threads N},
 * {@code max-off-heap BYTES}, {@code estimate NODES RELS NODE_PROPS REL_PROPS NODE_PROP_BYTES
 * REL_PROP_BYTES}, and for each label or relationship type {@code nodes LABEL KEYS FILE...} or
 * {@code rels TYPE KEYS FILE...}, KEYS being the property keys in their order in a row, comma
 * separated (or "-" for none).
 *
 * <p>A data file is a sequence of blocks: a 4-byte big-endian length, then that many bytes of
 * whole rows. A node row is its id (unsigned varint) and one field per key; a relationship row
 * is its start and end ids and one field per key. A field is a tag byte and its value: 0
 * absent, 1 string (unsigned varint byte length, UTF-8), 2 long (zig-zag varint), 3 date-time
 * (zig-zag varint epoch seconds, unsigned varint nanoseconds; stored as a DateTime in UTC, as
 * the transactional path stores it), 4 false, 5 true. Blocks are the importer's unit of work:
 * its threads take whole blocks and decode them in parallel. Anything malformed fails the
 * import (the input is ours: a bad byte is a bug, never data to skip).
 */
public final class BulkImport {
  static final int ABSENT = 0, STRING = 1, LONG = 2, DATETIME = 3, FALSE = 4, TRUE = 5;

  /** One label or relationship type: its name, property keys and files. */
  record Group(boolean rel, String name, String[] keys, List<Path> files) {}

  record Manifest(
      int threads, long maxOffHeap, long[] estimate, List<Group> nodes, List<Group> rels) {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("--dump")) {
      Manifest m = readManifest(Path.of(args[1]));
      try (PrintStream out =
          new PrintStream(new java.io.BufferedOutputStream(System.out, 1 << 16), false, "UTF-8")) {
        dump(m.nodes, out);
        dump(m.rels, out);
      }
      return;
    }
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: BulkImport NEO4J_HOME MANIFEST | --dump MANIFEST");
    }
    run(Path.of(args[0]), readManifest(Path.of(args[1])));
  }

  static Manifest readManifest(Path path) throws IOException {
    int threads = Runtime.getRuntime().availableProcessors();
    long maxOffHeap = Configuration.DEFAULT.maxOffHeapMemory();
    long[] estimate = new long[6];
    List<Group> nodes = new ArrayList<>(), rels = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.isEmpty()) {
          continue;
        }
        String[] f = line.split("\t");
        switch (f[0]) {
          case "threads" -> threads = Integer.parseInt(f[1]);
          case "max-off-heap" -> maxOffHeap = Long.parseLong(f[1]);
          case "estimate" -> {
            for (int i = 0; i < estimate.length; i++) {
              estimate[i] = Long.parseLong(f[i + 1]);
            }
          }
          case "nodes", "rels" -> {
            if (f.length < 4) {
              throw new IllegalArgumentException(path + ": no files in: " + line);
            }
            String[] keys = f[2].equals("-") ? new String[0] : f[2].split(",");
            List<Path> files = new ArrayList<>();
            for (int i = 3; i < f.length; i++) {
              files.add(Path.of(f[i]));
            }
            Group g = new Group(f[0].equals("rels"), f[1], keys, files);
            (g.rel ? rels : nodes).add(g);
          }
          default -> throw new IllegalArgumentException(path + ": unknown directive: " + line);
        }
      }
    }
    return new Manifest(threads, maxOffHeap, estimate, nodes, rels);
  }

  static void run(Path home, Manifest m) throws Exception {
    Config config = Config.newBuilder().set(GraphDatabaseSettings.neo4j_home, home).build();
    DatabaseLayout layout = Neo4jLayout.of(config).databaseLayout(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
    StorageEngineFactory engine = StorageEngineFactory.selectStorageEngine(config);
    // What `neo4j-admin database import full` sets (ImportCommand): threads, off-heap cap,
    // parallel IO on a local disk, and the two token lookup indexes every new database has.
    Configuration importConfig =
        new Configuration.Overridden(Configuration.defaultConfiguration()) {
          @Override
          public int maxNumberOfWorkerThreads() {
            return m.threads;
          }

          @Override
          public long maxOffHeapMemory() {
            return m.maxOffHeap;
          }

          @Override
          public boolean highIO() {
            return true;
          }

          @Override
          public IndexConfig indexConfig() {
            return IndexConfig.create().withLabelIndex().withRelationshipTypeIndex();
          }
        };
    long[] e = m.estimate;
    Input input =
        Input.input(
            iterable(m.nodes),
            iterable(m.rels),
            IdType.ACTUAL,
            Input.knownEstimates(e[0], e[1], e[2], e[3], e[4], e[5], e[0]),
            new Groups());
    var contexts =
        new CursorContextFactory(
            PageCacheTracer.NULL, new FixedVersionContextSupplier(TransactionIdStore.BASE_TX_ID));
    try (var fs = new DefaultFileSystemAbstraction();
        JobScheduler scheduler = JobSchedulerFactory.createInitialisedScheduler()) {
      BatchImporter importer =
          engine.batchImporter(
              layout,
              fs,
              PageCacheTracer.NULL,
              importConfig,
              new SimpleLogService(NullLogProvider.getInstance(), NullLogProvider.getInstance(), false),
              System.out,
              false,
              DefaultAdditionalIds.EMPTY,
              config,
              Monitor.NO_MONITOR,
              scheduler,
              Collector.STRICT,
              TransactionLogInitializer.getLogFilesInitializer(),
              new IndexImporterFactoryImpl(),
              EmptyMemoryTracker.INSTANCE,
              contexts);
      importer.doImport(input);
    }
  }

  static InputIterable iterable(List<Group> groups) {
    return () -> new Blocks(groups);
  }

  /** Hands out whole blocks of every file of the groups, in order, one at a time. */
  static final class Blocks implements InputIterator {
    private final List<Group> groups;
    private int group, file = -1;
    private DataInputStream in;

    Blocks(List<Group> groups) {
      this.groups = groups;
    }

    @Override
    public InputChunk newChunk() {
      return new Rows();
    }

    @Override
    public synchronized boolean next(InputChunk chunk) throws IOException {
      Rows rows = (Rows) chunk;
      while (true) {
        if (in == null && !open()) {
          return false;
        }
        int n;
        try {
          n = in.readInt();
        } catch (EOFException end) {
          in.close();
          in = null;
          continue;
        }
        Group g = groups.get(group);
        if (n <= 0) {
          throw new IOException(g.files.get(file) + ": block of " + n + " bytes");
        }
        if (rows.buf.length < n) {
          rows.buf = new byte[Math.max(n, rows.buf.length * 2)];
        }
        in.readFully(rows.buf, 0, n);
        rows.reset(g, g.files.get(file), n);
        return true;
      }
    }

    private boolean open() throws IOException {
      while (group < groups.size()) {
        if (++file < groups.get(group).files.size()) {
          Path p = groups.get(group).files.get(file);
          in = new DataInputStream(new BufferedInputStream(Files.newInputStream(p), 1 << 20));
          return true;
        }
        group++;
        file = -1;
      }
      return false;
    }

    @Override
    public synchronized void close() throws IOException {
      if (in != null) {
        in.close();
        in = null;
      }
    }
  }

  /** One block's rows, decoded one entity per call. */
  static final class Rows implements InputChunk {
    byte[] buf = new byte[1 << 20];
    private int pos, end;
    private Group group;
    private Path file;
    private String[] labels;

    void reset(Group g, Path f, int n) {
      group = g;
      file = f;
      labels = new String[] {g.name};
      pos = 0;
      end = n;
    }

    @Override
    public boolean next(InputEntityVisitor v) throws IOException {
      if (pos >= end) {
        return false;
      }
      try {
        if (group.rel) {
          v.startId(uvarint());
          v.endId(uvarint());
          v.type(group.name);
        } else {
          v.id(uvarint());
          v.labels(labels);
        }
        for (String key : group.keys) {
          Value value = field();
          if (value != null) {
            v.property(key, value);
          }
        }
      } catch (ArrayIndexOutOfBoundsException | IllegalArgumentException bad) {
        throw new IOException(file + ": malformed row of " + group.name + " at byte " + pos + " of its block", bad);
      }
      if (pos > end) {
        throw new IOException(file + ": a row of " + group.name + " runs past the end of its block");
      }
      v.endOfEntity();
      return true;
    }

    /** The next field, or null when it is absent (no property). */
    Value field() {
      int tag = buf[pos++];
      switch (tag) {
        case ABSENT:
          return null;
        case STRING: {
          int n = Math.toIntExact(uvarint());
          if (n > end - pos) {
            throw new IllegalArgumentException("string of " + n + " bytes past the block's end");
          }
          String s = new String(buf, pos, n, StandardCharsets.UTF_8);
          pos += n;
          return Values.stringValue(s);
        }
        case LONG:
          return Values.longValue(varint());
        case DATETIME: {
          long sec = varint();
          long nano = uvarint();
          if (nano >= 1_000_000_000L) {
            throw new IllegalArgumentException("nanoseconds " + nano);
          }
          return DateTimeValue.datetime(sec, nano, ZoneOffset.UTC);
        }
        case FALSE:
          return Values.FALSE;
        case TRUE:
          return Values.TRUE;
        default:
          throw new IllegalArgumentException("field tag " + tag);
      }
    }

    long uvarint() {
      long x = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = buf[pos++];
        x |= (long) (b & 0x7f) << shift;
        if (b >= 0) {
          return x;
        }
      }
      throw new IllegalArgumentException("varint longer than 64 bits");
    }

    long varint() {
      long u = uvarint();
      return (u >>> 1) ^ -(u & 1);
    }

    @Override
    public void close() {}
  }

  /** --dump: every entity as one line, values typed, for the Go tests. */
  static void dump(List<Group> groups, PrintStream out) throws IOException {
    Blocks blocks = new Blocks(groups);
    Rows rows = (Rows) blocks.newChunk();
    InputEntityVisitor line =
        new InputEntityVisitor.Adapter() {
          final StringBuilder b = new StringBuilder();

          @Override
          public boolean id(long id) {
            b.append("node ").append(id);
            return true;
          }

          @Override
          public boolean labels(String[] labels) {
            b.append(' ').append(String.join(":", labels));
            return true;
          }

          @Override
          public boolean startId(long id) {
            b.append("rel ").append(id);
            return true;
          }

          @Override
          public boolean endId(long id) {
            b.append(' ').append(id);
            return true;
          }

          @Override
          public boolean type(String type) {
            b.append(' ').append(type);
            return true;
          }

          @Override
          public boolean property(String key, Object value) {
            b.append('\t').append(key).append('=');
            if (value instanceof DateTimeValue dt) {
              var t = dt.asObjectCopy();
              b.append("datetime:").append(t.toEpochSecond()).append('.').append(t.getNano());
              b.append('@').append(t.getZone().getId());
            } else if (value instanceof TextValue v) {
              b.append("string:").append(v.stringValue().replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n"));
            } else if (value instanceof LongValue v) {
              b.append("long:").append(v.longValue());
            } else if (value instanceof BooleanValue v) {
              b.append("bool:").append(v.booleanValue());
            } else {
              b.append("other:").append(value);
            }
            return true;
          }

          @Override
          public void endOfEntity() {
            out.println(b);
            b.setLength(0);
          }
        };
    while (blocks.next(rows)) {
      while (rows.next(line)) {}
    }
    blocks.close();
  }
}
