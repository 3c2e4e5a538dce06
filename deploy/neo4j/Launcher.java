import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.lang.reflect.Method;
import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.kernel.api.procedure.GlobalProcedures;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.procedure.Procedure;
import org.neo4j.procedure.impl.ProcedureConfig;

/**
 * Launcher runs an embedded Neo4j DBMS whose Bolt connector listens on 127.0.0.1 only, with
 * authentication on. Lockstep's Go package deploy/neo4j starts it; nobody else should need to.
 *
 * <p>Usage: {@code java -cp CLASSPATH Launcher HOME PORT}. Environment:
 * LOCKSTEP_NEO4J_PASSWORD (required, the neo4j user's password), LOCKSTEP_NEO4J_PAGECACHE (page
 * cache in bytes), LOCKSTEP_NEO4J_TX_TOTAL (memory all transactions may use, in bytes),
 * LOCKSTEP_NEO4J_PARENT_PID (shut down when that process is gone: test servers must not outlive a
 * killed test binary), LOCKSTEP_NEO4J_PLUGINS (Neo4j's plugin directory, whose jars the Go side also
 * puts on the classpath), LOCKSTEP_NEO4J_SETTINGS (a neo4j.conf-style file, read first, so the
 * settings below win over it).
 *
 * <p>Prints "ready" on stdout once Bolt accepts the password. On any startup failure it prints the
 * reason and exits 1. SIGTERM runs the shutdown hook, which checkpoints and closes the store.
 */
public class Launcher {
  /**
   * Lockstep's own procedures (the other .java files beside this one). Run from source, without
   * javac, they are not compiled in: Lockstep then reads and writes with plain Cypher, as it does
   * against a server it does not manage.
   */
  static final String[] PROCEDURES = {"lockstep.Projection"};

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable e) {
      System.out.flush();
      e.printStackTrace();
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      // One line the Go side quotes in its error; the stack trace above is for the curious.
      System.err.println("lockstep-neo4j: startup failed: " + root);
      System.err.flush();
      // halt, not exit: a half-built DBMS may hold non-daemon threads or hooks that block exit.
      Runtime.getRuntime().halt(1);
    }
  }

  static void run(String[] args) throws Exception {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: Launcher HOME PORT");
    }
    Path home = Path.of(args[0]);
    int port = Integer.parseInt(args[1]);
    String password = System.getenv("LOCKSTEP_NEO4J_PASSWORD");
    if (password == null || password.length() < 8) {
      throw new IllegalArgumentException("LOCKSTEP_NEO4J_PASSWORD must hold at least 8 characters");
    }
    DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home);
    String settings = System.getenv("LOCKSTEP_NEO4J_SETTINGS");
    if (settings != null && !settings.isEmpty()) {
      builder.loadPropertiesFromFile(Path.of(settings));
    }
    String plugins = System.getenv("LOCKSTEP_NEO4J_PLUGINS");
    if (plugins != null && !plugins.isEmpty()) {
      builder.setConfig(GraphDatabaseSettings.plugin_dir, Path.of(plugins));
    }
    builder
            .setConfig(BoltConnector.enabled, true)
            .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
            .setConfig(GraphDatabaseSettings.auth_enabled, true)
            // A local single-user server needs no point-in-time backups from transaction
            // logs: keep two files so a bulk load does not fill the disk with days of logs.
            .setConfig(GraphDatabaseSettings.keep_logical_logs, "2 files")
            // Preallocating costs 256 MiB of disk per database before the first write.
            .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
            // Bolt's shutdown otherwise idles 5 s twice after the databases have already
            // checkpointed and closed; nothing is lost by not waiting.
            .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofMillis(200))
            .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofMillis(200))
            .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
            .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(2))
            // Index population gets max(1, cores / 4) threads per job by default: one on this
            // 2-core machine, so building the schema over a bulk-imported store used one core.
            // Populations are rare (schema changes) and short; let one use every core.
            .setConfig(
                GraphDatabaseInternalSettings.index_population_workers,
                Math.max(1, Runtime.getRuntime().availableProcessors()));
    Long pagecache = bytes("LOCKSTEP_NEO4J_PAGECACHE");
    if (pagecache != null) {
      builder.setConfig(GraphDatabaseSettings.pagecache_memory, pagecache);
    }
    Long txTotal = bytes("LOCKSTEP_NEO4J_TX_TOTAL");
    if (txTotal != null) {
      builder.setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, txTotal);
    }
    DatabaseManagementService dbms = builder.build();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("stopping");
                  dbms.shutdown();
                  System.out.println("stopped");
                  System.out.flush();
                }));
    try {
      dbms.database("system")
          .executeTransactionally(
              "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
    } catch (RuntimeException e) {
      // A restart over existing data sets the same password again, which Neo4j refuses; that
      // refusal means the password is already right.
      if (!String.valueOf(e.getMessage()).contains("same")) {
        throw e;
      }
    }
    registerProcedures(dbms);
    System.out.println("ready");
    System.out.flush();

    String parent = System.getenv("LOCKSTEP_NEO4J_PARENT_PID");
    if (parent != null && !parent.isEmpty()) {
      long ppid = Long.parseLong(parent);
      while (ProcessHandle.of(ppid).map(ProcessHandle::isAlive).orElse(false)) {
        Thread.sleep(1000);
      }
      System.out.println("parent process " + ppid + " exited; shutting down");
      System.exit(0);
    }
    Thread.currentThread().join();
  }

  static void registerProcedures(DatabaseManagementService dbms) throws Exception {
    GraphDatabaseAPI db = (GraphDatabaseAPI) dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
    GlobalProcedures procedures = db.getDependencyResolver().resolveDependency(GlobalProcedures.class);
    // Registered by hand, they escape the allowlist Neo4j applies to plugin jars: honour it here,
    // so dbms.security.procedures.allowlist turns them off as it would on a server's plugins/.
    ProcedureConfig config =
        new ProcedureConfig(db.getDependencyResolver().resolveDependency(Config.class));
    for (String name : PROCEDURES) {
      Class<?> c;
      try {
        c = Class.forName(name);
      } catch (ClassNotFoundException e) {
        System.out.println("procedures of " + name + " not compiled in; Lockstep falls back to Cypher");
        continue;
      }
      if (!allowlisted(c, config)) {
        System.out.println(
            "procedures of " + name + " not in dbms.security.procedures.allowlist; Lockstep falls back to Cypher");
        continue;
      }
      procedures.registerProcedure(c);
    }
  }

  /** Whether the allowlist names every procedure of c. */
  static boolean allowlisted(Class<?> c, ProcedureConfig config) {
    for (Method m : c.getDeclaredMethods()) {
      Procedure p = m.getAnnotation(Procedure.class);
      if (p == null) {
        continue;
      }
      String name = !p.name().isEmpty() ? p.name() : p.value();
      if (name.isEmpty()) {
        name = c.getPackageName() + "." + m.getName();
      }
      if (!config.isWhitelisted(name)) {
        return false;
      }
    }
    return true;
  }

  private static Long bytes(String env) {
    String v = System.getenv(env);
    if (v == null || v.isEmpty()) {
      return null;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(env + "=" + v + ": want a number of bytes", e);
    }
  }
}
