// The dashboard: sign-in, then the caller's organization with its screens, one live stream for all.
import "./styles.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { currentSession, onSession } from "./api.js";
import { AppShell } from "./components/app-shell.js";
import { Empty, Loaded } from "./components/ui.js";
import { publishLive, useLive } from "./live.js";
import { type Me, type Org, OrgContext } from "./org.js";
import { useResource } from "./resource.js";
import { match, navigate, useLocation } from "./router.js";
import { ApiKeysScreen } from "./screens/api-keys.js";
import { ContainerScreen } from "./screens/container.js";
import { DevicesScreen } from "./screens/devices.js";
import { InventoryScreen } from "./screens/inventory.js";
import { OverviewScreen } from "./screens/overview.js";
import { PeopleScreen } from "./screens/people.js";
import { SignInScreen } from "./screens/sign-in.js";
import { TransactionScreen } from "./screens/transaction.js";

function Screen() {
  const { path } = useLocation();
  if (path === "/") return <OverviewScreen />;
  if (path === "/inventory") return <InventoryScreen />;
  if (path === "/people") return <PeopleScreen />;
  if (path === "/devices") return <DevicesScreen />;
  if (path === "/api-keys") return <ApiKeysScreen />;
  const container = match("/containers/:id", path);
  if (container) return <ContainerScreen id={container.id!} />;
  const transaction = match("/transactions/:id", path);
  if (transaction) return <TransactionScreen id={transaction.id!} />;
  return (
    <div class="page">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
    </div>
  );
}

function SignedIn({ org }: { org: Org }) {
  const live = useLive(org.org_id, publishLive);
  useEffect(() => {
    document.title = `L.I.L.O. · ${org.org_name}`;
  }, [org.org_name]);
  return (
    <OrgContext.Provider value={org}>
      <AppShell org={org} live={live}>
        <Screen />
      </AppShell>
    </OrgContext.Provider>
  );
}

function Organizations() {
  const me = useResource<Me>("/me");
  return (
    <Loaded resource={me} what="Your organizations">
      {(caller) => {
        const org = caller.organizations[0];
        if (!org)
          return (
            <div class="center-page">
              <Empty title="No organization">This account is not a member of any organization yet.</Empty>
            </div>
          );
        return <SignedIn org={org} />;
      }}
    </Loaded>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(currentSession() !== null);
  const { path } = useLocation();
  useEffect(
    () =>
      onSession((s) => {
        setSignedIn(s !== null);
        if (!s) navigate("/sign-in", true);
      }),
    [],
  );
  if (!signedIn || path === "/sign-in")
    return (
      <SignInScreen
        onSignedIn={() => navigate(new URLSearchParams(location.search).get("next") ?? "/", true)}
      />
    );
  return <Organizations />;
}

render(<App />, document.getElementById("app")!);
