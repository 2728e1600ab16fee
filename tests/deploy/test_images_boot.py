"""What the images carry boots and sells a ticket: every Deployment of ``deploy/k8s/`` whose
image is built here runs from that image's own filesystem (its Dockerfile's dependency
layer and copies, ``tests/support/image_build.py``), with its own command, ``args`` and
production environment (``tests/support/pods.py``); then a purchase goes through the
Ingress's routes.

Alone: ``uv run pytest tests/deploy/test_images_boot.py``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from websockets.asyncio.client import connect

from tests.support.api import PASSWORD, ticket_body
from tests.support.image_build import Image
from tests.support.live import LiveClient
from tests.support.pods import Environment, Pod, build_image, container_specs, start_pod
from tests.support.servers import serve
from ticketing_ui.ingress import read_ingress
from tools.deploycheck.project import Project, load_project
from tools.devstack.gateway import create_gateway
from tools.devstack.processes import Child, start_stand_ins
from tools.devstack.stack import INGRESS

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPOSITORY = Path(__file__).resolve().parents[2]
BACKEND_READY_S = 60
FRONTEND_READY_S = 900  # `reflex run --env prod` compiles and bundles before it listens


@dataclass
class Cluster:
    project: Project
    images: dict[str, Image]
    pods: dict[str, Pod]  # by Deployment name


@pytest.fixture(scope="module")
def boot_logs(logs_dir: Path) -> Path:
    path = logs_dir / "boot"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="module")
def environment(boot_logs: Path) -> Iterator[Environment]:
    """Private MongoDB-wire, Redis and Stripe stand-ins for the booted images; the Secrets
    are made up as the Deployments ask for them."""
    children: list[Child] = []
    try:
        addresses = start_stand_ins(boot_logs, children)
        # The web app keeps its per-tab state in another database of the same Redis.
        reflex_redis = addresses["REDIS_URL"].removesuffix("/0") + "/1"
        yield Environment(addresses | {"REFLEX_REDIS_URL": reflex_redis})
    finally:
        for child in reversed(children):
            child.stop()


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, environment: Environment, boot_logs: Path
) -> Iterator[Cluster]:
    project = load_project(REPOSITORY)
    specs = container_specs(project)
    images_dir = tmp_path_factory.mktemp("images")
    images = {
        image: build_image(project, image, images_dir / image.removeprefix("ticketing-"))
        for image in sorted({spec.image for spec in specs})
    }
    pods: dict[str, Pod] = {}
    try:
        for spec in specs:  # they start in parallel
            log = boot_logs / f"{spec.deployment}.log"
            pods[spec.deployment] = start_pod(project, spec, images[spec.image], environment, log)
        for name, pod in pods.items():
            pod.wait_ready(FRONTEND_READY_S if name == "frontend" else BACKEND_READY_S)
        yield Cluster(project, images, pods)
    finally:
        for pod in pods.values():
            pod.child.stop()


@pytest.fixture
async def ingress(cluster: Cluster) -> AsyncIterator[str]:
    """The Ingress's routes on one local origin, each Service reached at its Deployment."""
    upstreams = {name: pod.url for name, pod in cluster.pods.items()}
    async with AsyncExitStack() as exits:
        yield await exits.enter_async_context(
            serve(create_gateway(read_ingress(INGRESS), upstreams))
        )


def test_every_deployment_with_an_image_built_here_becomes_ready(cluster: Cluster) -> None:
    assert set(cluster.pods) == {
        "auth", "tickets", "orders", "payments", "expiration", "live", "frontend"
    }  # fmt: skip
    for pod in cluster.pods.values():
        assert pod.child.process.poll() is None
    # each runs the image's own programs, never the test environment's
    backend, web = (
        cluster.images["ticketing-backend"].root,
        cluster.images["ticketing-frontend"].root,
    )
    for name, pod in cluster.pods.items():
        assert Path(pod.executable).is_relative_to(web if name == "frontend" else backend)


def test_the_backend_image_holds_the_services_the_kernel_and_the_contract_only(
    cluster: Cluster,
) -> None:
    app = cluster.images["ticketing-backend"].path("/app")
    assert sorted(path.name for path in app.iterdir()) == ["backend", "wire"]
    packages = {path.name for path in (app / "backend").iterdir() if path.is_dir()}
    assert packages == {"auth", "common", "expiration", "live", "orders", "payments", "tickets"}


async def signed_in(http: httpx.AsyncClient, email: str) -> dict[str, str]:
    body = {"email": email, "password": PASSWORD}
    signup = await http.post("/api/users/signup", json=body)
    assert signup.status_code == 201, signup.text
    token = await http.post("/api/users/token", json=body)
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['token']}"}


async def test_a_purchase_through_the_ingress_routes_sells_the_ticket(ingress: str) -> None:
    async with httpx.AsyncClient(base_url=ingress, timeout=30) as http:
        seller = await signed_in(http, "seller@boot.example.com")
        buyer = await signed_in(http, "buyer@boot.example.com")
        listed = await http.post("/api/tickets", json=ticket_body(7_500), headers=seller)
        assert listed.status_code == 201, listed.text
        ticket_id = listed.json()["id"]
        live = await LiveClient.open(ingress)
        try:
            await live.subscribe(f"ticket:{ticket_id}")
            order = await http.post("/api/orders", json={"ticketId": ticket_id}, headers=buyer)
            assert order.status_code == 201, order.text
            paid = await http.post(
                "/api/payments",
                json={"orderId": order.json()["id"], "paymentMethodId": "pm_card_visa"},
                headers=buyer,
            )
            assert paid.status_code == 201, paid.text
            assert paid.json()["status"] == "succeeded"
            await live.until("ticket.sold", timeout=15, ticketId=ticket_id)
        finally:
            await live.close()
        ticket = (await http.get(f"/api/tickets/{ticket_id}")).json()
        assert ticket["status"] == "sold"


async def test_the_web_image_serves_its_page_and_its_event_socket(ingress: str) -> None:
    async with httpx.AsyncClient(base_url=ingress, timeout=30) as http:
        page = await http.get("/")
    assert page.status_code == 200
    assert "<html" in page.text.lower()
    socket = "ws" + ingress.removeprefix("http") + "/_event/?EIO=4&transport=websocket"
    async with connect(socket) as events:
        opened = await events.recv()
    assert str(opened).startswith("0{"), opened  # Engine.IO's "open" packet


# -- the guard catches a broken copy ------------------------------------------------------


def broken_tree(tmp_path: Path) -> Path:
    """A copy of what the backend image and the manifests are made from, to break."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "uv.lock", ".dockerignore", "skaffold.yaml"):
        shutil.copy2(REPOSITORY / name, tree / name)
    for name in ("backend", "wire", "deploy"):
        shutil.copytree(
            REPOSITORY / name, tree / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tree


def boot_one(
    project: Project, image: Image, deployment: str, environment: Environment, log: Path
) -> str:
    """Start one Deployment; the reason it never became ready ("" if it did)."""
    spec = next(spec for spec in container_specs(project) if spec.deployment == deployment)
    pod = start_pod(project, spec, image, environment, log)
    try:
        pod.wait_ready(BACKEND_READY_S)
    except (RuntimeError, TimeoutError) as error:
        return str(error)
    finally:
        pod.child.stop()
    return ""


def test_a_runtime_dependency_moved_to_dev_keeps_payments_from_starting(
    tmp_path: Path, environment: Environment, boot_logs: Path
) -> None:
    tree = broken_tree(tmp_path)
    pyproject = (tree / "pyproject.toml").read_text()
    moved = pyproject.replace('    "httpx>=0.28",\n', "", 1).replace(
        "dev = [\n", 'dev = [\n    "httpx>=0.28",\n', 1
    )
    assert moved != pyproject
    (tree / "pyproject.toml").write_text(moved)
    subprocess.run(["uv", "lock", "--quiet"], cwd=tree, check=True)
    project = load_project(tree)
    image = build_image(project, "ticketing-backend", tmp_path / "backend")

    why = boot_one(project, image, "payments", environment, boot_logs / "broken-deps.log")

    assert "No module named 'httpx'" in why


def test_a_deployment_with_wrong_args_is_caught(
    tmp_path: Path, cluster: Cluster, environment: Environment, boot_logs: Path
) -> None:
    tree = broken_tree(tmp_path)
    manifest = tree / "deploy/k8s/payments.yaml"
    docs = list(yaml.safe_load_all(manifest.read_text()))
    docs[0]["spec"]["template"]["spec"]["containers"][0]["args"] = [
        "backend.payment.app:create_app"
    ]
    manifest.write_text(yaml.safe_dump_all(docs))
    project = load_project(tree)
    image = cluster.images["ticketing-backend"]  # the image does not depend on manifests

    why = boot_one(project, image, "payments", environment, boot_logs / "broken-args.log")

    assert "exited" in why
    assert "backend.payment" in why
