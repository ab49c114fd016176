// Oracle for pykraft's metadata record codec, run as a single-file program over Kafka's jars:
//   java -cp 'LIBS/*' MetadataSerdeHarness.java types        -> "apiKey name lowest highest" per line
//   java -cp 'LIBS/*' MetadataSerdeHarness.java decode       -> stdin: one frame in hex per line;
//        stdout: "OK <re-serialized hex> <json {type,version,data}>" or "ERR <message>" per line
//   java -cp 'LIBS/*' MetadataSerdeHarness.java encode       -> stdin: "apiKey version <data json>";
//        stdout: "OK <frame hex>" or "ERR <message>" per line
//   java -cp 'LIBS/*' MetadataSerdeHarness.java control      -> stdin: "controlType <value hex>";
//        Kafka's ControlRecordUtils reads the control record value, writes it back at the version
//        it read: "OK <hex>" or "ERR <message>" per line
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.apache.kafka.common.metadata.MetadataJsonConverters;
import org.apache.kafka.common.metadata.MetadataRecordType;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.record.internal.ControlRecordUtils;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.metadata.MetadataRecordSerde;
import org.apache.kafka.server.common.ApiMessageAndVersion;

public class MetadataSerdeHarness {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final HexFormat HEX = HexFormat.of();

    static String frame(ApiMessageAndVersion record) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = MetadataRecordSerde.INSTANCE.recordSize(record, cache);
        ByteBuffer out = ByteBuffer.allocate(size);
        MetadataRecordSerde.INSTANCE.write(record, cache, new ByteBufferAccessor(out));
        return HEX.formatHex(out.array());
    }

    static String decode(String line) throws Exception {
        byte[] bytes = HEX.parseHex(line.trim());
        ApiMessageAndVersion record =
                MetadataRecordSerde.INSTANCE.read(new ByteBufferAccessor(ByteBuffer.wrap(bytes)), bytes.length);
        ObjectNode json = MAPPER.createObjectNode();
        json.put("type", MetadataRecordType.fromId(record.message().apiKey()).toString());
        json.put("version", record.version());
        json.set("data", MetadataJsonConverters.writeJson(record.message(), record.version()));
        return "OK " + frame(record) + " " + MAPPER.writeValueAsString(json);
    }

    static String encode(String line) throws Exception {
        String[] parts = line.trim().split(" ", 3);
        short apiKey = Short.parseShort(parts[0]);
        short version = Short.parseShort(parts[1]);
        JsonNode data = MAPPER.readTree(parts[2]);
        ApiMessage message = MetadataJsonConverters.readJson(data, apiKey, version);
        return "OK " + frame(new ApiMessageAndVersion(message, version));
    }

    static String control(String line) {
        String[] parts = line.trim().split(" ", 2);
        ByteBuffer value = ByteBuffer.wrap(HEX.parseHex(parts.length > 1 ? parts[1] : ""));
        Message message;
        short version;
        switch (Integer.parseInt(parts[0])) {
            case 2 -> { message = ControlRecordUtils.deserializeLeaderChangeMessage(value);
                        version = ControlRecordUtils.LEADER_CHANGE_CURRENT_VERSION; }
            case 3 -> { message = ControlRecordUtils.deserializeSnapshotHeaderRecord(value);
                        version = ControlRecordUtils.SNAPSHOT_HEADER_CURRENT_VERSION; }
            case 4 -> { message = ControlRecordUtils.deserializeSnapshotFooterRecord(value);
                        version = ControlRecordUtils.SNAPSHOT_FOOTER_CURRENT_VERSION; }
            case 5 -> { message = ControlRecordUtils.deserializeKRaftVersionRecord(value);
                        version = ControlRecordUtils.KRAFT_VERSION_CURRENT_VERSION; }
            case 6 -> { message = ControlRecordUtils.deserializeVotersRecord(value);
                        version = ControlRecordUtils.KRAFT_VOTERS_CURRENT_VERSION; }
            default -> throw new IllegalArgumentException("control type " + parts[0]);
        }
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer out = ByteBuffer.allocate(message.size(cache, version));
        message.write(new ByteBufferAccessor(out), cache, version);
        return "OK " + HEX.formatHex(out.array());
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "decode";
        if (mode.equals("types")) {
            for (MetadataRecordType type : MetadataRecordType.values()) {
                System.out.println(type.id() + " " + type.toString() + " " + type.lowestSupportedVersion()
                        + " " + type.highestSupportedVersion() + " " + type.newMetadataRecord().getClass().getSimpleName());
            }
            return;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        StringBuilder out = new StringBuilder();
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isBlank()) continue;
            try {
                out.append(switch (mode) {
                    case "encode" -> encode(line);
                    case "control" -> control(line);
                    default -> decode(line);
                });
            } catch (Exception | AssertionError e) {
                out.append("ERR ").append(String.valueOf(e).replace('\n', ' '));
            }
            out.append('\n');
        }
        System.out.print(out);
    }
}
