// Oracle for pykraft's metadata record codec, run as a single-file program over Kafka's jars:
//   java -cp 'LIBS/*' MetadataSerdeHarness.java types        -> "apiKey name lowest highest" per line
//   java -cp 'LIBS/*' MetadataSerdeHarness.java decode       -> stdin: one frame in hex per line;
//        stdout: "OK <re-serialized hex> <json {type,version,data}>" or "ERR <message>" per line
//   java -cp 'LIBS/*' MetadataSerdeHarness.java encode       -> stdin: "apiKey version <data json>";
//        stdout: "OK <frame hex>" or "ERR <message>" per line
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
                out.append(mode.equals("encode") ? encode(line) : decode(line));
            } catch (Exception | AssertionError e) {
                out.append("ERR ").append(String.valueOf(e).replace('\n', ' '));
            }
            out.append('\n');
        }
        System.out.print(out);
    }
}
