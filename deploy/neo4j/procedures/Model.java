package lockstep;

import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.RelationshipType;

/** Model names the labels and relationship types of Lockstep's data model (docs/ARCHITECTURE.md) once, for every procedure. */
final class Model {
  static final Label ACCOUNT = Label.label("Account"),
      IP = Label.label("IP"),
      DEVICE = Label.label("Device"),
      TARGET = Label.label("Target");
  static final RelationshipType USED_IP = RelationshipType.withName("USED_IP"),
      USED_DEVICE = RelationshipType.withName("USED_DEVICE"),
      LOOKED_UP = RelationshipType.withName("LOOKED_UP"),
      MATCHED = RelationshipType.withName("MATCHED");

  private Model() {}
}
