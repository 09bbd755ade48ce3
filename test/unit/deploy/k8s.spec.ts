/**
 * deploy/k8s/ is schema-checked, not run (no Kubernetes runs on these machines): every manifest the
 * kustomization lists must validate against the Kubernetes API schemas (kubernetes-models), and the
 * pieces must fit together: selectors, the headless Service, probes on the API port, the token
 * Secret, the security context, and CLI arguments the overlay's own parser accepts.
 * The schemas accept unknown keys, so the fields that matter are asserted by value below.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { parse, parseAllDocuments } from 'yaml'
import { flagsToConfig, parseArgs } from '../../../src/cli/args.ts'
import { loadConfig } from '../../../src/config/load.ts'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const DIR = join(ROOT, 'deploy/k8s')
/** The control API port the probes and the hub's Service use. */
const API_PORT = 9100
const OVERLAY_PORT = 9000

type Obj = Record<string, any>
interface Model { validate: () => void }

const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as Obj
const resources = kustomization.resources as string[]
const manifests: Obj[] = resources.flatMap(f => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map(d => d.toJS() as Obj))
const of = (kind: string): Obj[] => manifests.filter(m => m.kind === kind)
const workloads = (): Obj[] => [...of('StatefulSet'), ...of('Deployment')]
const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v)

/** The kubernetes-models class for a manifest's apiVersion and kind, e.g. apps/v1 StatefulSet. */
async function modelOf (m: Obj): Promise<new (data: Obj) => Model> {
  const apiVersion = String(m.apiVersion)
  const path = apiVersion.includes('/') ? apiVersion : 'v1'
  const mod = await import(`kubernetes-models/${path}/${String(m.kind)}`) as Record<string, new (data: Obj) => Model>
  const Class = mod[String(m.kind)]
  if (Class === undefined) throw new Error(`no schema for ${apiVersion} ${String(m.kind)}`)
  return Class
}

async function schemaErrors (m: Obj): Promise<string | undefined> {
  const Class = await modelOf(m)
  try {
    new Class(m).validate()
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

describe('deploy - Kubernetes manifests (schema-checked, not run)', () => {
  it('deploy - the kustomization lists every manifest in deploy/k8s and nothing else', () => {
    const files = readdirSync(DIR).filter(f => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort()
    assert.deepEqual([...resources].sort(), files)
    for (const f of resources) assert.ok(existsSync(join(DIR, f)), f)
    assert.deepEqual(manifests.map(m => m.kind).sort(), ['Deployment', 'Deployment', 'PodDisruptionBudget', 'PodDisruptionBudget', 'PodDisruptionBudget', 'Secret', 'Service', 'StatefulSet'])
  })

  it('deploy - every manifest validates against the Kubernetes API schema', async () => {
    for (const m of manifests) assert.equal(await schemaErrors(m), undefined, `${String(m.kind)} ${String(m.metadata?.name)}`)
  })

  it('deploy - the schema check rejects a broken manifest', async () => {
    const sts = structuredClone(of('StatefulSet')[0]) as Obj
    sts.spec.replicas = 'two'
    assert.match(await schemaErrors(sts) ?? '', /replicas/)
    const dep = structuredClone(of('Deployment')[0]) as Obj
    delete dep.spec.selector
    assert.match(await schemaErrors(dep) ?? '', /selector/)
  })

  it('deploy - hubs are a StatefulSet behind a headless Service that publishes not-ready addresses', () => {
    const [sts] = of('StatefulSet') as [Obj]
    const svc = of('Service').find(s => s.metadata.name === sts.spec.serviceName) as Obj
    assert.ok(svc !== undefined, 'serviceName names a Service')
    assert.equal(svc.spec.clusterIP, 'None')
    assert.equal(svc.spec.publishNotReadyAddresses, true)
    assert.ok(matches(svc.spec.selector, sts.spec.template.metadata.labels), 'the Service selects the hub pods')
    assert.ok(matches(sts.spec.selector.matchLabels, sts.spec.template.metadata.labels))
    assert.deepEqual(svc.spec.ports.map((p: Obj) => p.port).sort(), [OVERLAY_PORT, API_PORT])
    assert.equal(sts.spec.volumeClaimTemplates[0].metadata.name, 'data', 'hubs keep their identity in a claim')
  })

  it('deploy - leaves and peers bootstrap through the headless hub name', () => {
    const hubs = (of('StatefulSet')[0] as Obj).spec.serviceName as string
    for (const w of workloads()) {
      const args = w.spec.template.spec.containers[0].args as string[]
      assert.equal(args[args.indexOf('--bootstrap') + 1], `/dns4/${hubs}/tcp/${OVERLAY_PORT}`, `${String(w.metadata.name)} bootstrap`)
    }
    assert.deepEqual(of('Deployment').map(d => d.spec.template.metadata.labels['app.kubernetes.io/component']).sort(), ['leaf', 'peer'])
  })

  it('deploy - probes: liveness /healthz and readiness /readyz on the control API port the container\'s config opens', async () => {
    for (const w of workloads()) {
      const c = w.spec.template.spec.containers[0] as Obj
      const api = (c.ports as Obj[]).find(p => p.name === 'api') as Obj
      assert.equal(api.containerPort, API_PORT)
      // The config the node would run with: its args, its env (OVERLAY_API_LISTEN), the image's config file.
      // Kubernetes expands $(POD_NAME) and the like from the downward API: a sample pod name stands in.
      const args = (c.args as string[]).map(a => a.replace(/\$\(\w+\)/g, 'pod-0'))
      const { path, flags } = flagsToConfig(parseArgs(args).values)
      const env = Object.fromEntries((c.env as Obj[]).filter(e => e.value !== undefined).map(e => [e.name, e.value]))
      const config = await loadConfig({ path: join(ROOT, String(path).replace(/^\/app\//, '')), env, flags })
      assert.equal(config.api.listen, `0.0.0.0:${API_PORT}`, `${String(w.metadata.name)}: the API listens beyond loopback`)
      assert.deepEqual([c.livenessProbe.httpGet.path, c.livenessProbe.httpGet.port], ['/healthz', 'api'])
      assert.deepEqual([c.readinessProbe.httpGet.path, c.readinessProbe.httpGet.port], ['/readyz', 'api'])
    }
  })

  it('deploy - the token comes from the Secret through --token-file', () => {
    const [secret] = of('Secret') as [Obj]
    for (const w of workloads()) {
      const spec = w.spec.template.spec as Obj
      const c = spec.containers[0] as Obj
      const file = c.args[c.args.indexOf('--token-file') + 1] as string
      const mount = (c.volumeMounts as Obj[]).find(v => file.startsWith(`${String(v.mountPath)}/`)) as Obj
      assert.ok(mount !== undefined, `${String(w.metadata.name)}: ${file} is on a mount`)
      const vol = (spec.volumes as Obj[]).find(v => v.name === mount.name) as Obj
      assert.equal(vol.secret.secretName, secret.metadata.name)
      assert.ok(Object.keys(secret.stringData ?? secret.data).includes(file.slice(String(mount.mountPath).length + 1)))
      assert.equal(JSON.stringify(c.env ?? []).includes('OVERLAY_TOKEN'), false, 'the token is not in the environment')
    }
  })

  it('deploy - non-root, read-only root, no privilege escalation, resource requests', () => {
    for (const w of workloads()) {
      const spec = w.spec.template.spec as Obj
      const name = String(w.metadata.name)
      assert.equal(spec.securityContext.runAsNonRoot, true, name)
      assert.equal(spec.securityContext.runAsUser, 1000, `${name}: the image's node user`)
      for (const c of spec.containers as Obj[]) {
        assert.equal(c.securityContext.readOnlyRootFilesystem, true, name)
        assert.equal(c.securityContext.allowPrivilegeEscalation, false, name)
        assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], name)
        assert.ok(c.resources.requests.cpu !== undefined && c.resources.requests.memory !== undefined, `${name}: requests`)
        assert.ok((c.volumeMounts as Obj[]).some(v => v.mountPath === '/data'), `${name}: /data is writable (a volume)`)
      }
    }
  })

  it('deploy - each PodDisruptionBudget selects the pods of one workload', () => {
    const hub = of('PodDisruptionBudget').find(p => p.spec.selector.matchLabels['app.kubernetes.io/component'] === 'hub') as Obj
    assert.equal(hub.spec.maxUnavailable, 1)
    for (const pdb of of('PodDisruptionBudget')) {
      const hits = workloads().filter(w => matches(pdb.spec.selector.matchLabels, w.spec.template.metadata.labels))
      assert.equal(hits.length, 1, `${String(pdb.metadata.name)} selects ${hits.length} workloads`)
    }
  })

  it('deploy - every container command parses with the CLI and names a config the image has', () => {
    for (const w of workloads()) {
      const args = [...w.spec.template.spec.containers[0].args as string[]]
      const parsed = parseArgs(args)
      assert.equal(parsed.command, 'start')
      assert.ok(existsSync(join(ROOT, String(parsed.values.config).replace(/^\/app\//, ''))), String(parsed.values.config))
    }
  })
})
