#!/bin/sh
# mkca.sh DIR: a throwaway CA and a server certificate for the Mimecast emulator.
#
# Writes DIR/ca.pem (the CA certificate: give it to clients as ca_file or
# curl --cacert), DIR/server.pem and DIR/server.key (for mcemu.py --tls-cert
# and --tls-key).  The server certificate names 127.0.0.1, ::1 and localhost
# in subjectAltName (clients match the SAN, not the CN).  ECDSA P-256, valid
# for 30 days.  Files already there are kept, so repeated calls are cheap.
# Needs only the openssl command line tool.
set -eu
dir=${1:?usage: mkca.sh DIR}
mkdir -p "$dir"
if [ -s "$dir/ca.pem" ] && [ -s "$dir/server.pem" ] && [ -s "$dir/server.key" ]; then
	exit 0
fi
umask 077
tmp=$(mktemp -d "$dir/.mkca.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/ca.key" 2>/dev/null
openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days 30 -subj "/CN=mcemu throwaway test CA" \
	-addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" \
	-addext "subjectKeyIdentifier=hash" \
	-out "$tmp/ca.pem" 2>/dev/null

openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/server.key" 2>/dev/null
openssl req -new -key "$tmp/server.key" -subj "/CN=localhost" -out "$tmp/server.csr" 2>/dev/null
cat >"$tmp/ext.cnf" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
	-days 30 -sha256 -extfile "$tmp/ext.cnf" -out "$tmp/server.pem" 2>/dev/null

chmod 644 "$tmp/ca.pem" "$tmp/server.pem"
chmod 600 "$tmp/server.key" "$tmp/ca.key"
mv "$tmp/ca.key" "$dir/ca.key"
mv "$tmp/server.key" "$dir/server.key"
mv "$tmp/server.pem" "$dir/server.pem"
mv "$tmp/ca.pem" "$dir/ca.pem"
