// An outside verifier of a buyer's delivery receipt, written from docs/delivery.md ("The
// receipt's signature") with the noble libraries only: no eth_account, no code of the
// exchange. Reads {"payload", "signature"} items (JSON on stdin) of delivery.receipted entries
// and prints the address each signature recovers to, as 0x-lowercase hex, one per item.
import { secp256k1 } from "@noble/curves/secp256k1";
import { keccak_256 } from "@noble/hashes/sha3";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils";

const keccak = (...parts) => keccak_256(concatBytes(...parts));
const word = (value) => hexToBytes(BigInt(value).toString(16).padStart(64, "0"));
const address = (hex) => concatBytes(new Uint8Array(12), hexToBytes(hex.slice(2).toLowerCase()));

const DOMAIN_TYPE = utf8ToBytes(
  "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
);
const RECEIPT_TYPE = utf8ToBytes(
  "DeliveryReceipt(uint256 licenceId,uint256 orderId,bytes32 sha256,uint256 servedSeq)",
);

function signer({ payload, signature }) {
  const domain = keccak(
    keccak(DOMAIN_TYPE), keccak(utf8ToBytes("Databourse")), keccak(utf8ToBytes("1")),
    word(payload.chain_id), address(payload.verifying_contract),
  );
  const message = keccak(
    keccak(RECEIPT_TYPE), word(payload.licence_id), word(payload.order_id),
    hexToBytes(payload.sha256), word(payload.served_seq),
  );
  const digest = keccak(new Uint8Array([0x19, 0x01]), domain, message);
  const raw = hexToBytes(signature.slice(2));
  const v = raw[64] >= 27 ? raw[64] - 27 : raw[64];
  const point = secp256k1.Signature.fromCompact(raw.slice(0, 64))
    .addRecoveryBit(v)
    .recoverPublicKey(digest);
  return "0x" + bytesToHex(keccak(point.toRawBytes(false).slice(1)).slice(12));
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify(JSON.parse(input).map(signer)));
});
