import { registry } from "@web/core/registry";

/* A customer's contact on the portal: My Account > Prepaid Services, opens the card, downloads the
   statement. The Python test checks the statement the server rendered for the card. */
registry.category("web_tour.tours").add("prepaid_services_portal_tour", {
    url: "/my",
    steps: () => [
        {
            content: "The portal home offers the prepaid services",
            trigger: "a[href='/my/prepaid']:contains(Prepaid Services)",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "One card: the customer's own",
            trigger: "table tbody:not(:has(tr:nth-child(2))) tr:contains(10-hour support block)",
        },
        {
            content: "Open the card",
            trigger: "table tbody tr a[href^='/my/prepaid/']",
            run: "click",
            expectUnloadPage: true,
        },
        { content: "The balance: 10 hours sold, 3 used", trigger: ".h4:contains(7.00)" },
        { trigger: "h5:contains(History) + table tr:contains(usage), h5:contains(History) + table tr:contains(Usage)" },
        {
            content: "Download the statement",
            trigger: "a[href$='/statement']:contains(Statement)",
            async run({ anchor }) {
                // what the browser gets when the link is clicked, read instead of saved to disk
                const response = await fetch(anchor.href);
                const disposition = response.headers.get("Content-Disposition") || "";
                const text = await response.text();
                if (!response.ok || !disposition.includes("Statement") || !text.includes("Closing balance")) {
                    throw new Error(`statement download failed: ${response.status} ${disposition}`);
                }
                document.body.classList.add("o_prepaid_statement_downloaded");
            },
        },
        { trigger: "body.o_prepaid_statement_downloaded" },
    ],
});
