"""Heroku's SNI endpoints (`heroku certs:add CRT KEY` and friends): a certificate for an app's
custom domain created, listed, shown, replaced and deleted with the CLI's requests, each response
in Heroku's shape; bad certificates refused with their reason and nothing stored; another
user's app invisible."""
import os
import subprocess
import tempfile

from conftest import OTHER, unique


def make_certificate(hostname, directory):
    """A root and a leaf for `hostname` it signed (openssl), as PEM texts."""
    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "root.key", "-out", "root.pem", "-days", "30", "-subj", "/CN=API Test Root")
    openssl("req", *ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", f"/CN={hostname}")
    with open(os.path.join(directory, "san"), "w") as f:
        f.write(f"subjectAltName=DNS:{hostname}\n")
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-days", "10",
            "-extfile", "san", "-out", "leaf.pem")
    openssl("genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key")
    read = lambda name: open(os.path.join(directory, name)).read()
    return read("leaf.pem") + read("root.pem"), read("leaf.key"), read("other.key")


def test_sni_endpoints_like_certs_add(daemon, api, schema_checker):
    name = unique("tls")
    host = f"www.{name}.test"
    assert api.post(f"{daemon.url}/apps", json={"name": name}).status_code == 201
    domain = api.post(f"{daemon.url}/apps/{name}/domains", json={"hostname": host, "sni_endpoint": None}).json()
    with tempfile.TemporaryDirectory() as directory:
        chain, key, other_key = make_certificate(host, directory)

    r = api.post(f"{daemon.url}/apps/{name}/sni-endpoints", json={"certificate_chain": chain, "private_key": other_key})
    assert r.status_code == 422, r.text
    assert r.json()["message"] == f"The private key does not match the certificate (CN={host})."
    r = api.post(f"{daemon.url}/apps/{name}/sni-endpoints", json={"certificate_chain": "nope", "private_key": key})
    assert r.status_code == 422 and r.json()["message"].startswith("No certificate found")
    assert api.get(f"{daemon.url}/apps/{name}/sni-endpoints").json() == []

    r = api.post(f"{daemon.url}/apps/{name}/sni-endpoints", json={"certificate_chain": chain, "private_key": key})
    assert r.status_code == 201, r.text
    endpoint = r.json()
    assert endpoint["app"]["name"] == name
    assert endpoint["certificate_chain"] == chain
    assert endpoint["domains"] == [domain["id"]]
    assert endpoint["ssl_cert"]["cert_domains"] == [host]
    assert endpoint["ssl_cert"]["subject"] == f"CN={host}" and endpoint["ssl_cert"]["issuer"] == "CN=API Test Root"
    assert endpoint["ssl_cert"]["ca_signed?"] is True and endpoint["ssl_cert"]["self_signed?"] is False
    assert "private_key" not in endpoint

    # The CLI then shows the domain with its endpoint, and domains:add may name it.
    domains = api.get(f"{daemon.url}/apps/{name}/domains").json()
    assert [d["sni_endpoint"] for d in domains if d["hostname"] == host] == [{"id": endpoint["id"], "name": endpoint["name"]}]
    r = api.post(f"{daemon.url}/apps/{name}/domains", json={"hostname": f"api.{name}.test", "sni_endpoint": endpoint["name"]})
    assert r.status_code == 201, r.text
    r = api.post(f"{daemon.url}/apps/{name}/domains", json={"hostname": f"x.{name}.test", "sni_endpoint": "no-such-endpoint"})
    assert r.status_code == 422
    r = api.patch(f"{daemon.url}/apps/{name}/domains/{host}", json={"sni_endpoint": endpoint["name"]})
    assert r.status_code == 200 and r.json()["sni_endpoint"]["name"] == endpoint["name"], r.text

    assert [e["id"] for e in api.get(f"{daemon.url}/apps/{name}/sni-endpoints").json()] == [endpoint["id"]]
    stranger = daemon.session(schema_checker, daemon.tokens[OTHER])
    r = stranger.get(f"{daemon.url}/apps/{name}/sni-endpoints")
    assert r.status_code == 404 and r.json()["resource"] == "app"
    assert api.get(f"{daemon.url}/apps/{name}/sni-endpoints/{endpoint['name']}").json()["id"] == endpoint["id"]
    r = api.patch(f"{daemon.url}/apps/{name}/sni-endpoints/{endpoint['id']}", json={"certificate_chain": chain, "private_key": key})
    assert r.status_code == 200 and r.json()["name"] == endpoint["name"]
    r = api.delete(f"{daemon.url}/apps/{name}/sni-endpoints/{endpoint['name']}")
    assert r.status_code == 200 and r.json()["id"] == endpoint["id"]
    assert api.get(f"{daemon.url}/apps/{name}/sni-endpoints").json() == []
    r = api.get(f"{daemon.url}/apps/{name}/sni-endpoints/{endpoint['name']}")
    assert r.status_code == 404 and r.json()["id"] == "not_found"
