package io.provgraph.neo4jlocal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

/**
 * Runs a real Neo4j Community database in this JVM with Bolt on 127.0.0.1.
 *
 * <p>Usage: {@code Neo4jLocal HOME_DIR PORT [PAGECACHE_MB] [PASSWORD]}; with a password,
 * authentication is on and the {@code neo4j} user gets it. Prints one line
 * {@code NEO4J-LOCAL READY bolt://127.0.0.1:PORT} once the default database
 * answers, then runs until SIGTERM/SIGINT, when it shuts the database down cleanly.
 */
public final class Neo4jLocal {
  private Neo4jLocal() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: Neo4jLocal HOME_DIR PORT [PAGECACHE_MB] [PASSWORD]");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    long pageCacheMb = args.length > 2 ? Long.parseLong(args[2]) : 128L;
    String password = args.length > 3 && !args[3].isEmpty() ? args[3] : null;

    DatabaseManagementService service =
        new DatabaseManagementServiceBuilder(home)
            .setConfig(BoltConnector.enabled, true)
            .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
            .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
            .setConfig(HttpConnector.enabled, false)
            .setConfig(GraphDatabaseSettings.auth_enabled, password != null)
            .setConfig(GraphDatabaseSettings.pagecache_memory, pageCacheMb * 1024L * 1024L)
            // Development and CI data: keep transaction logs small.
            .setConfig(GraphDatabaseSettings.keep_logical_logs, "2 files")
            .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
            .build();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("NEO4J-LOCAL STOPPING");
      service.shutdown();
      stopped.countDown();
    }, "neo4j-local-shutdown"));

    GraphDatabaseService db = service.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (!db.isAvailable(1000)) {
      if (System.nanoTime() > deadline) {
        System.err.println("NEO4J-LOCAL FAILED: database not available after 2 minutes");
        System.exit(1);
      }
    }
    if (password != null) {
      // The embedded API bypasses authentication: set the password before anyone connects.
      try {
        service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
            "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
            java.util.Map.of("password", password));
      } catch (RuntimeException e) {
        // A data directory kept from an earlier start already has this password.
        if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
          System.err.println("NEO4J-LOCAL FAILED: cannot set the password: " + e.getMessage());
          System.exit(1);
        }
      }
    }
    System.out.println("NEO4J-LOCAL READY bolt://127.0.0.1:" + port);
    System.out.flush();
    stopped.await();
  }
}
