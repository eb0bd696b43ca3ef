"""Customer messages written for Pulse's demo: what customers of a B2B software vendor really send.

Each entry: (colour, kind, subject, body, sentiment_reason). `{contact}` and `{company}` are filled per account.
The colour follows training/corpus/GUIDELINES.md: Red is a risk to the account's renewal or revenue (however
politely put), Yellow is routine, mixed or uncertain, Green is health, growth or advocacy. The reason is the one
of DEFAULT_SENTIMENT_REASONS[colour] that fits the text; the demo's people decide with both. Every text is
written for the demo alone (none is taken from the corpus) and the demo shows each one once.
"""

from __future__ import annotations

MESSAGES: list[tuple[str, str, str | None, str, str]] = [
    # --- Red: a risk to renewal or revenue (leaving, budget, sponsor gone, severe problem, escalation)
    ("Red", "email", "Renewal decision",
     "Hello team,\n\nThank you for four good years and for the patience your people have shown us. We have looked "
     "hard at how the platform is used today, and with only a handful of colleagues still logging in we have "
     "decided not to renew when the contract ends on 31 August.\n\nPlease let me know what you need from us to "
     "close things out properly.\n\nKind regards,\n{contact}\nHead of Customer Operations | {company}",
     "low_adoption"),
    ("Red", "ticket", "Whole workspace returns 503",
     "Whole workspace returns 503\nSince 07:40 CET every page of the workspace shows a 503 error, for every user "
     "in every region. Our 120 agents are answering customers from personal inboxes. Your status page shows "
     "everything green. Please call me as soon as someone is on it.",
     "outage_impact"),
    ("Red", "call_note", None,
     "Call with {contact} (VP Support), 45 min.\n- They have had a trial running with Corvana on two teams since "
     "last week.\n- Main complaint: our routing rules can't handle their shift patterns.\n- Decision on the "
     "renewal expected after the trial ends on the 20th.\n- Next step: I book a routing workshop with our "
     "product team.",
     "competitor_evaluation"),
    ("Red", "email", "Billing for Q2",
     "Hi,\n\nWe have now received the Q2 invoice for the third time with the premium support line on it, which "
     "we never ordered and which your colleague promised to remove in April. Our accounts payable team has been "
     "told not to release any payment to you until a corrected invoice arrives.\n\n{contact}\nFinance Manager, "
     "{company}",
     "billing_dispute"),
    ("Red", "chat", None,
     "heads up, the CFO just told us every tool over 20k has to go or justify itself by friday. yours is on "
     "the list 😬",
     "budget_cuts"),
    ("Red", "email", "Some news from our side",
     "Hello,\n\nI wanted you to hear it from me: Rafael, who chose your platform and has run it since day one, "
     "left {company} on Friday. Nobody has been named to take over his budget yet, and I'm not sure anyone here "
     "will fight for the renewal the way he did.\n\nBest,\n{contact}",
     "champion_left"),
    ("Red", "ticket", "Approval workflow cannot handle two signers",
     "Approval workflow cannot handle two signers\nWe were sold the approval workflow on the basis that "
     "contracts could require two signers. It still only supports one, eight months after go-live. Legal now "
     "refuses to route anything through the tool, so the main reason we bought it is gone. What is the actual "
     "date for this?",
     "product_gaps"),
    ("Red", "email", "Formal complaint - case 48213",
     "Dear Customer Success team,\n\nPlease register this message as a formal complaint about the handling of "
     "case 48213. Our data sync has been broken for eleven days, we have been passed between four support "
     "engineers, and no one has yet reproduced the problem. I have copied our CIO, who has asked for a call "
     "with your head of support this week.\n\nRegards,\n{contact}\nIT Service Manager\n{company}",
     "support_escalations"),
    ("Red", "call_note", None,
     "EBR with {company}, {contact} and their controller.\n- Group-wide savings plan: 25% off all SaaS spend "
     "from January.\n- Controller questioned why they pay for the analytics module at all.\n- {contact} did not "
     "defend it in the room.\n- Next step: send usage figures per module before the budget round on the 14th.",
     "budget_cuts"),
    ("Red", "chat", None,
     "are you guys down again?? nothing loads since lunch and we have a customer demo in 40 min",
     "outage_impact"),
    ("Red", "email", "Full data export",
     "Hi team,\n\nCould you tell us how to pull a complete export of all tickets, contacts and attachments, "
     "including the custom fields? We are moving our service desk to Nimbra from 1 October and their "
     "onboarding team needs the files by mid-September.\n\nThanks,\n{contact}",
     "competitor_evaluation"),
    ("Red", "ticket", "Records disappeared after yesterday's release",
     "Records disappeared after yesterday's release\nAfter the release last night, roughly 3,000 customer "
     "records created in March no longer appear anywhere, not in search and not in reports. Our auditors arrive "
     "on Monday. We need these back and an explanation of what happened.",
     "outage_impact"),
    ("Red", "email", "Seats for the renewal",
     "Hello,\n\nAhead of the renewal I ran the usage report: 38 of our 150 licences were used in the last "
     "quarter. We will renew for 40 seats only, and would like the new quote to reflect that.\n\nRegards,\n"
     "{contact}\nProcurement | {company}",
     "low_adoption"),
    ("Red", "call_note", None,
     "Quick call with {contact}. Their COO, our executive sponsor, retired at the end of last month and the role "
     "is vacant. {contact} says the interim leadership is reviewing every vendor contract and has frozen new "
     "commitments. No owner for the platform on their side right now.\nNext step: ask our VP to reach out to "
     "the interim COO.",
     "champion_left"),
    ("Red", "email", "Re: SLA credits",
     "Hi,\n\nThank you for the outage report, but it does not address our question. Under section 7 of the MSA "
     "we were entitled to 99.9% availability, and March came in well below that. Our legal department will "
     "contact yours about the penalties, and we expect the credit to be applied before any further invoice is "
     "issued.\n\n{contact}\nGeneral Counsel, {company}\n\nOn Tue, 8 Apr 2025 at 16:02, Support "
     "<support@vendor.example> wrote:\n> Please find attached the incident report for 14 March.\n> Kind regards",
     "support_escalations"),
    ("Red", "chat", None,
     "honestly the mobile app is useless for our field techs. offline mode still loses their notes and they've "
     "gone back to paper. not sure why we're paying for it tbh",
     "product_gaps"),
    ("Red", "ticket", "Question about contract end and API access",
     "Question about contract end and API access\nWe are evaluating Pinemark as a replacement and need to know "
     "how long API access stays open after our term ends on 30 June, so we can plan the cut-over. Please answer "
     "in writing.",
     "competitor_evaluation"),
    ("Red", "email", "Subscription renewal on hold",
     "Dear Sir/Madam,\n\nKindly note that our management has put all software renewals on hold pending the "
     "annual cost review. The renewal of your subscription is not approved at this time and may not be approved "
     "at the current price. Request you to share the minimum package which can be continued.\n\nThanks and "
     "regards,\n{contact}\nManager - IT Procurement\n{company}",
     "budget_cuts"),
    ("Red", "call_note", None,
     "QBR, {company}. {contact} was frank: the forecasting module never matched their seasonal patterns and the "
     "team rebuilt the forecasts in spreadsheets. She said leadership is not convinced the renewal makes sense "
     "and wants a decision memo by end of month.\n- Next step: prepare a forecasting accuracy review with "
     "Solutions.",
     "product_gaps"),
    ("Red", "email", "Invoice INV-20931",
     "Hello Accounts team,\n\nWe dispute invoice INV-20931 in full. It charges overage for 9 million API calls, "
     "while our own logs show less than a third of that, and your portal shows nothing at all for the period. "
     "Please withdraw it and send the call logs you based it on.\n\nThanks,\n{contact}\nFinancial Controller\n"
     "{company}",
     "billing_dispute"),
    ("Red", "chat", None,
     "fyi Tomasz handed in his notice, last day is the 30th. he was basically the only one who knew the tool here "
     "and nobody is replacing him 🙁",
     "champion_left"),
    ("Red", "ticket", "Scheduled emails not sending for 5 days",
     "Scheduled emails not sending for 5 days\nNone of our scheduled customer emails have gone out since last "
     "Thursday. This is our renewal reminder campaign and we are losing revenue every day it doesn't run. "
     "Ticket 7712 has had no update since Friday.",
     "outage_impact"),
    ("Red", "email", "Being straight with you",
     "Hi there,\n\nI'll be straight with you. Our new Head of Sales used Quillion at her last company and has "
     "asked us to run both side by side for the next six weeks. The renewal will depend on how that comparison "
     "comes out.\n\nCheers,\n{contact}",
     "competitor_evaluation"),
    ("Red", "call_note", None,
     "Escalation call, {company}. {contact} brought their CTO.\n- Three P1 incidents in six weeks, two still "
     "without a root cause.\n- CTO asked for a named engineer and weekly reports, or he will bring it to their "
     "board.\n- Next step: agree escalation owner on our side today.",
     "support_escalations"),
    ("Red", "email", "Plan change at renewal",
     "Hello,\n\nPlease move us from Enterprise to the Team plan at the renewal in May. The advanced analytics "
     "and the sandbox were never adopted by our departments, and it no longer makes sense to pay for them.\n\n"
     "Best regards,\n{contact}\nOperations Lead, {company}",
     "low_adoption"),
    ("Red", "ticket", "Report totals wrong for multi-currency accounts",
     "Report totals wrong for multi-currency accounts\nReport totals mix EUR and USD without converting, so our "
     "monthly revenue report to the board is wrong. We have raised this with three tickets since January. "
     "Finance has stopped trusting any figure that comes out of the platform.",
     "product_gaps"),
    ("Red", "chat", None,
     "procurement won't sign the 9% uplift. they said either you hold last year's price or we go back to the "
     "market",
     "budget_cuts"),
    ("Red", "email", "Outcome of our service tender",
     "Dear Account Team,\n\nAfter a tender covering our whole service stack, the group has awarded the contract "
     "to another supplier. This means we will let our subscription lapse at the end of the current term. It has "
     "been a pleasure to work with you, and we are grateful for the help along the way.\n\nYours sincerely,\n"
     "{contact}\nHead of Procurement\n{company}",
     "competitor_evaluation"),
    ("Red", "call_note", None,
     "Check-in with {contact}.\n- Only the London office still uses the dashboards; Madrid and Milan stopped "
     "after the reorg.\n- She wants to cut the contract to the London seats at renewal (from 300 to about 90).\n"
     "- Next step: adoption plan for Madrid before the renewal conversation.",
     "low_adoption"),
    ("Red", "ticket", "Users see other customers' data",
     "Users see other customers' data\nTwo of our agents opened a contact and saw records from a different "
     "company in the side panel. We have screenshots. This is a serious data protection incident for us, and we "
     "have had to block access to the platform until you explain it.",
     "outage_impact"),
    ("Red", "email", "Introduction and review",
     "Hi,\n\nI'm the new Director of Customer Experience at {company}, replacing Helen, who has left. I have to "
     "be honest that I'm not familiar with your platform and my previous team used a different tool. Before the "
     "renewal I'll be reviewing whether we keep it at all.\n\nRegards,\n{contact}",
     "champion_left"),
    ("Red", "chat", None,
     "5th time asking about the SAML bug, ticket 3391. can someone senior please look at this, my director wants "
     "to know who to call at your company",
     "support_escalations"),
    ("Red", "email", "Funding for next year",
     "Hello,\n\nI'm sorry to bring bad news. Our grant funding was reduced this year and the board has asked "
     "every programme to cut costs. We will need to drop to the nonprofit tier or find a cheaper option for the "
     "coming year.\n\nWith thanks,\n{contact}\nProgramme Manager, {company}",
     "budget_cuts"),
    ("Red", "ticket", "Salesforce sync overwrites our data",
     "Salesforce sync overwrites our data\nEvery night the Salesforce sync overwrites the account owner field "
     "with old values. Our sales reps lose their assignments each morning. Fixed twice according to support, "
     "back both times. This is blocking our territory rollout.",
     "product_gaps"),
    ("Red", "call_note", None,
     "Call with {contact} and their AP lead about the double charge in June.\n- They were charged twice for the "
     "annual licence; refund promised in July, still not received.\n- They are withholding the Q3 payment until "
     "the refund lands.\n- Next step: chase finance for the refund date today.",
     "billing_dispute"),
    ("Red", "email", "Alerting",
     "Hi team,\n\nOur data engineering group believes it can rebuild the alerting we use from your product on "
     "top of our own warehouse within a quarter. They are presenting the plan to our CTO next week, and if it is "
     "approved we will not need the subscription after this year.\n\nRegards,\n{contact}\nHead of Analytics | "
     "{company}",
     "competitor_evaluation"),
    ("Red", "chat", None,
     "login page just spins. whole team locked out since 8. we can't take any orders like this",
     "outage_impact"),
    ("Red", "email", "Acquisition",
     "Hello,\n\nSome news from {company}: we have been acquired by Halden Group, and all subsidiaries are being "
     "moved onto the group's own customer platform during the first quarter. I expect we will need your help "
     "exporting our history before then. Thank you for everything in the meantime.\n\nBest wishes,\n{contact}",
     "competitor_evaluation"),
    ("Red", "ticket", "Complaint about support response times",
     "Complaint about support response times\nOur contract promises a first response within 4 hours for P1. Our "
     "last two P1 tickets waited 19 and 26 hours. We are requesting a formal review and the service credits set "
     "out in the SLA, and our CIO has asked to be copied on your reply.",
     "support_escalations"),
    ("Red", "call_note", None,
     "Renewal prep call with {contact}.\n- New CFO started in September and wants every contract over 50k cut "
     "by a fifth.\n- {contact} was asked to bring a 'walk-away option' to the next budget meeting.\n- Next step: "
     "send a 3-year price scenario and a reduced-seat option.",
     "budget_cuts"),
    ("Red", "email", "Scheduler and time zones",
     "Hello,\n\nThe scheduler still double-books our engineers whenever a job is moved across time zones. We "
     "have worked around it by hand for months, but our operations director has now set a deadline: if it isn't "
     "fixed by the end of next month, we cancel at renewal.\n\n{contact}\nService Planning, {company}",
     "product_gaps"),
    ("Red", "chat", None,
     "our sales team got a demo from Lodestar yesterday and they loved it. just being honest w you",
     "competitor_evaluation"),
    ("Red", "ticket", "Third outage this month on the EU cluster",
     "Third outage this month on the EU cluster\nThe EU cluster was unavailable again from 10:05 to 11:30 today. "
     "Our call centre runs on your platform; every outage means 200 agents sitting idle. We need an RCA and a "
     "remediation plan, not another status page entry.",
     "outage_impact"),
    ("Red", "email", "Notice period",
     "Hi,\n\nCould you tell me how much notice we need to give to end the contract, and by what date? Our teams "
     "have mostly gone back to the shared inbox and I need to put the options in front of my manager.\n\n"
     "Thanks,\n{contact}",
     "low_adoption"),
    ("Red", "call_note", None,
     "Call with {contact}, now our only contact at {company}.\n- Their platform owner, Marcus, was let go in the "
     "layoffs last week.\n- {contact} is an end user and has no say over the budget.\n- Renewal is in five weeks "
     "and nobody there owns it.\n- Next step: find the budget owner through our AE.",
     "champion_left"),
    ("Red", "email", "Collections call",
     "Hi,\n\nYour collections agency called our office today about an invoice we disputed in writing in "
     "February. I find this unacceptable. We will not pay the disputed amount, and unless the claim is withdrawn "
     "by Friday I will hand the matter to our legal team.\n\n{contact}\nOffice Manager\n{company}",
     "billing_dispute"),
    ("Red", "ticket", "Search unusable since the index change",
     "Search unusable since the index change\nSince the search update two weeks ago, searching by order number "
     "returns nothing for orders older than 30 days. Our support staff cannot find customer history, which is "
     "the core of what we use you for. Workarounds suggested by support do not work.",
     "product_gaps"),
    ("Red", "chat", None,
     "finance wants to know why we pay for 200 seats when 60 ppl log in. I need to cut it by renewal or they'll "
     "cut it for me",
     "low_adoption"),
    ("Red", "call_note", None,
     "Lunch with {contact} at the user conference.\n- Told me off the record that their IT director signed a "
     "letter of intent with Overtone for the Nordics.\n- Rest of the business stays for now, but he expects the "
     "same question next year.\n- Next step: meet the IT director before the Nordics contract is signed.",
     "competitor_evaluation"),
    ("Red", "email", "Invoice matching failures",
     "Hi,\n\nI have briefed our Managing Director on the repeated failures of the invoice-matching job, and she "
     "would like a call with your CEO or COO before the end of the week. Please propose times. Until we have had "
     "that conversation, please hold any further project work.\n\n{contact}\nHead of Finance Operations | "
     "{company}",
     "support_escalations"),
    ("Red", "chat", None,
     "how do i turn off auto renew? we want to look at what else is out there before committing again",
     "competitor_evaluation"),
    ("Red", "email", "Kündigung des Vertrags",
     "Sehr geehrte Damen und Herren,\n\nhiermit kündigen wir unseren Vertrag über die Plattform fristgerecht zum "
     "31. März. Nach der Kostenprüfung im Konzern wurden alle Lizenzen gestrichen, die nicht direkt dem "
     "Kerngeschäft dienen. Bitte senden Sie uns eine schriftliche Bestätigung der Kündigung.\n\nMit freundlichen "
     "Grüßen\n{contact}\nEinkauf | {company}",
     "budget_cuts"),
    ("Red", "email", "Dénonciation de la reconduction tacite",
     "Bonjour,\n\nNous vous informons que nous dénonçons la reconduction tacite de notre abonnement, qui arrive "
     "à échéance le 30 septembre. Notre direction a retenu une autre solution dans le cadre de l'harmonisation "
     "des outils du groupe.\n\nNous vous remercions pour votre accompagnement.\n\nCordialement,\n{contact}\n"
     "Responsable des achats, {company}",
     "competitor_evaluation"),
    ("Red", "ticket", "Caída total del servicio",
     "Caída total del servicio\nDesde las 9:00 ningún usuario puede acceder a la plataforma. Tenemos 80 agentes "
     "parados y los clientes no reciben respuesta. Necesitamos que alguien nos llame ya, es la segunda vez esta "
     "semana.",
     "outage_impact"),
    ("Red", "email", "Cobrança indevida de licenças",
     "Prezados,\n\nRecebemos novamente a fatura com cobrança de 50 licenças adicionais que nunca contratamos. Já "
     "abrimos três chamados sobre isso. Informamos que o pagamento ficará suspenso até que a cobrança seja "
     "corrigida.\n\nAtenciosamente,\n{contact}\nFinanceiro | {company}",
     "billing_dispute"),
    ("Red", "chat", None,
     "hoi, even eerlijk: we gaan de stilzwijgende verlenging opzeggen. sinds Ruud weg is gebruikt bijna niemand "
     "het nog",
     "champion_left"),
    # --- Yellow: routine, mixed or uncertain (no cue, or a risk the same message offsets)
    ("Yellow", "ticket", "CSV import drops leading zeros",
     "CSV import drops leading zeros\nWhen we import postcodes from CSV, leading zeros are removed (01067 becomes "
     "1067). We can fix it by formatting the column as text first, so not urgent, but it would be good to know "
     "if this is a known issue.",
     "open_support_issues"),
    ("Yellow", "chat", None,
     "where can i change the sender name on the notification emails? cant find it in settings",
     "open_support_issues"),
    ("Yellow", "email", "Renewal quote for next year",
     "Hi team,\n\nOur fiscal year starts in April and I'm pulling together the list of renewals for the planning "
     "round. Could you send the renewal quote for next year, with the same seat count as today? We haven't "
     "discussed it internally yet.\n\nThanks,\n{contact}",
     "renewal_uncertain"),
    ("Yellow", "call_note", None,
     "Monthly check-in with {contact}.\n- Logins dropped about 15% since the summer; she thinks holidays are part "
     "of it.\n- Two managers still export to spreadsheets instead of using the dashboards.\n- No concerns about "
     "the contract raised.\n- Next step: offer a dashboards refresher for managers in October.",
     "slow_adoption"),
    ("Yellow", "email", "Introduction",
     "Hello,\n\nA quick introduction: I've taken over the customer service function at {company} from Paul "
     "Meyer, who has moved to our Singapore office. I'll be your main contact for the platform from now on, and "
     "I'd appreciate a short overview of our setup when you have time.\n\nBest,\n{contact}",
     "executive_change"),
    ("Yellow", "ticket", "Dashboard widgets load slowly on Monday mornings",
     "Dashboard widgets load slowly on Monday mornings\nOn Monday mornings the team dashboard takes 15-20 "
     "seconds to load. Later in the week it's fine. Is there anything we can do on our side, such as fewer "
     "widgets?",
     "open_support_issues"),
    ("Yellow", "email", "Re: Renewal proposal",
     "Hi Marta,\n\nThanks for sending the proposal over. Before I take it to procurement: is there any flexibility on "
     "the per-seat price if we sign for two years instead of one? Happy to jump on a call.\n\nKind regards,\n"
     "{contact}\n\nOn Mon, 3 Feb 2025 at 09:30, Marta Lindqvist <marta@vendor.example> wrote:\n> Please find our "
     "renewal proposal attached.",
     "pricing_concerns"),
    ("Yellow", "chat", None,
     "sorry, missed the QBR invite, can we push to next week? swamped with year end",
     "limited_engagement"),
    ("Yellow", "call_note", None,
     "Call with {contact}.\n- Their finance team has frozen all discretionary spend until the new fiscal year.\n"
     "- {contact} confirmed our renewal was approved before the freeze and the PO is already raised.\n- The "
     "extra 20 seats they talked about will have to wait.\n- Next step: check in again in February about the "
     "seats.",
     "pricing_concerns"),
    ("Yellow", "email", "Out of office",
     "Many thanks for your e-mail. I am out of the office until Monday 14 July with limited access to e-mail. For "
     "urgent questions about our account please call our operations desk on +31 20 555 0148.\n\n{contact}",
     "limited_engagement"),
    ("Yellow", "ticket", "API returns 500 on contacts with emoji in the name",
     "API returns 500 on contacts with emoji in the name\nCreating a contact through the API fails with HTTP 500 "
     "when the name contains an emoji. Only a handful of records are affected and we are stripping emoji before "
     "sending for now. Could you confirm whether a fix is planned?",
     "open_support_issues"),
    ("Yellow", "chat", None,
     "tbh only my team really uses the reports. the others still ask me to pull numbers for them lol",
     "slow_adoption"),
    ("Yellow", "email", "New contract template",
     "Hello,\n\nYour colleague mentioned that the renewal will be on the new contract template. Could you send "
     "the draft early so our lawyers can read it before the summer break? We have not started discussing the "
     "renewal itself yet.\n\nBest regards,\n{contact}",
     "renewal_uncertain"),
    ("Yellow", "call_note", None,
     "Intro call with {contact}, new Head of Support at {company} since last month.\n- Replaces Ingrid, who moved "
     "to product; Ingrid stays reachable for questions.\n- {contact} used the platform at a previous job and "
     "wants to review the workflows.\n- Next step: send the account overview and book a workflow review.",
     "executive_change"),
    ("Yellow", "ticket", "Bulk reassign tickets when an agent leaves",
     "Bulk reassign tickets when an agent leaves\nOne of our agents is leaving next week. What is the best way to "
     "reassign all her open tickets to the rest of the team at once?",
     "open_support_issues"),
    ("Yellow", "email", "WhatsApp add-on",
     "Hi,\n\nAt the renewal, could you please take the WhatsApp channel add-on off our order? We tried it for a "
     "year and customers in our market simply don't use it. The main subscription and seat count stay as they "
     "are.\n\nThanks,\n{contact}\nCustomer Service Lead | {company}",
     "pricing_concerns"),
    ("Yellow", "chat", None,
     "anyone else seeing the export button greyed out? works in chrome, not in firefox for me",
     "open_support_issues"),
    ("Yellow", "call_note", None,
     "Pre-renewal call with {contact}.\n- Renewal in 90 days; they are starting their internal review next "
     "month.\n- No complaints raised, but {contact} could not say yet who signs off this year.\n- Next step: send "
     "the value summary and ask for the decision timeline.",
     "renewal_uncertain"),
    ("Yellow", "email", "Mobile app in the field",
     "Hi team,\n\nWe rolled the mobile app out to our field teams in spring, but only about a third of them have "
     "installed it. The rest say they prefer calling the office. Do you have any material we could use to "
     "encourage them?\n\nBest,\n{contact}",
     "slow_adoption"),
    ("Yellow", "ticket", "Timezone wrong on scheduled reports",
     "Timezone wrong on scheduled reports\nScheduled reports arrive at 07:00 UTC instead of 07:00 Berlin time. "
     "Our account timezone is set correctly. Not critical, just confusing for recipients.",
     "open_support_issues"),
    ("Yellow", "chat", None,
     "hey, no updates from our side this month. will let you know if anything comes up 👍",
     "limited_engagement"),
    ("Yellow", "email", "Price change on your website",
     "Hello,\n\nWe noticed the list price for the Professional tier went up on your website. Will this affect our "
     "renewal in January, or is our current price protected under the agreement? I need to know for our budget "
     "forecast.\n\nKind regards,\n{contact}\nFinance Business Partner, {company}",
     "pricing_concerns"),
    ("Yellow", "call_note", None,
     "QBR with {company}.\n- Case volume in the platform is flat quarter on quarter.\n- Knowledge base adoption is "
     "low: 40 articles, mostly outdated.\n- {contact} is interested but has no one to own the content.\n- Next "
     "step: share knowledge base templates and a sample governance plan.",
     "slow_adoption"),
    ("Yellow", "ticket", "SSO users created twice",
     "SSO users created twice\nWhen a new employee signs in through Okta for the first time, we sometimes end up "
     "with two user records. We merge them by hand. It has happened four times this month.",
     "open_support_issues"),
    ("Yellow", "email", "Steering meeting",
     "Hi,\n\nQuick one ahead of next month's steering meeting: could you send me the list of features released "
     "since we signed, with dates? Management will look at all our tooling in that meeting and I'd like to be "
     "prepared. No decision has been taken about anything yet.\n\nRegards,\n{contact}",
     "renewal_uncertain"),
    ("Yellow", "chat", None,
     "fyi I'm going on parental leave from the 1st, Jana will cover the tool while i'm out, she knows it well",
     "executive_change"),
    ("Yellow", "email", "Sorry for the delay",
     "Hi,\n\nSorry it took me so long to get back to you. We have had a lot going on with the office move "
     "and the platform hasn't been top of my list. Can we skip this quarter's review and pick it up in the "
     "new year?\n\n{contact}\nSent from my iPhone",
     "limited_engagement"),
    ("Yellow", "ticket", "Feature request: merge duplicate companies",
     "Feature request: merge duplicate companies\nWe regularly end up with duplicate company records from web "
     "forms. A merge function would save our admins time. We clean them up manually today.",
     "open_support_issues"),
    ("Yellow", "call_note", None,
     "Call with {contact} (IT Director).\n- Board asked every department to justify its SaaS costs this year, "
     "ours included.\n- {contact} said they will renew, the platform is not in question, but expects a tough "
     "negotiation on price.\n- Next step: prepare the ROI summary before procurement calls.",
     "pricing_concerns"),
    ("Yellow", "email", "Webhook fires twice",
     "Hello support,\n\nThe webhook for closed tickets fires twice for some tickets, so our BI tool counts them "
     "double. We de-duplicate on our side for now. Could you look into it when you get a chance?\n\nThanks,\n"
     "{contact}\nData Engineer | {company}",
     "open_support_issues"),
    ("Yellow", "chat", None,
     "we still haven't switched on the automation rules. nobody's had time to set them up honestly",
     "slow_adoption"),
    ("Yellow", "email", "Platform ownership",
     "Dear all,\n\nFollowing our reorganisation, the customer platform now sits with the Digital team rather "
     "than Operations. Sanne de Vries will be the business owner from next week, and I will stay involved for "
     "the handover. Could you give Sanne admin access?\n\nKind regards,\n{contact}",
     "executive_change"),
    ("Yellow", "ticket", "Attachments over 10 MB fail",
     "Attachments over 10 MB fail\nUploading attachments over 10 MB fails silently in the agent view. Customers "
     "do send large PDFs now and then. We ask them to use a share link instead.",
     "open_support_issues"),
    ("Yellow", "call_note", None,
     "Call with {contact}.\n- They switched off auto-renewal because their new procurement rules require a signed "
     "order form for every renewal.\n- {contact} said this is an administrative change for all suppliers.\n- "
     "Next step: send the order form 60 days before the end date.",
     "renewal_uncertain"),
    ("Yellow", "email", "Webinar",
     "Hi,\n\nThanks for the newsletter and the webinar invite. We won't be able to attend this time. Could you "
     "send the recording afterwards?\n\nBest,\n{contact}",
     "limited_engagement"),
    ("Yellow", "chat", None,
     "quick q, is there a keyboard shortcut for assigning a ticket to myself?",
     "open_support_issues"),
    ("Yellow", "email", "Perth office",
     "G'day team,\n\nJust flagging that our Perth office still hasn't moved across from the old shared mailbox. "
     "They've had the training, but the manager there isn't pushing it. We'll keep at it from our end, any tips "
     "welcome.\n\nCheers,\n{contact}",
     "slow_adoption"),
    ("Yellow", "ticket", "Audit log export missing IP column",
     "Audit log export missing IP column\nThe audit log CSV export doesn't include the IP address column that we "
     "see in the UI. Our security team asked for it for the quarterly review. Is it possible to add it?",
     "open_support_issues"),
    ("Yellow", "call_note", None,
     "Tried to run the QBR with {company}; {contact} joined 15 minutes late and had to leave early.\n- Said things "
     "are 'fine, nothing new'.\n- No usage questions, no roadmap interest.\n- Next step: try a shorter async "
     "update by email instead.",
     "limited_engagement"),
    ("Yellow", "email", "Renewal quote by module",
     "Hi,\n\nCould you break down the renewal quote by module? Our finance team wants to see what each part costs "
     "before they sign off on next year's numbers.\n\nThanks,\n{contact}",
     "pricing_concerns"),
    ("Yellow", "chat", None,
     "what date does our contract renew again? my boss asked and I don't have the contract handy",
     "renewal_uncertain"),
    ("Yellow", "ticket", "Two-factor codes arriving late",
     "Two-factor codes arriving late\nSome of our users receive the two-factor SMS after the code has already "
     "expired. It mostly happens with one mobile carrier. Using the authenticator app works as a workaround.",
     "open_support_issues"),
    ("Yellow", "call_note", None,
     "Onboarding review with {contact}.\n- Go-live slipped three weeks because their data cleanup took longer "
     "than planned.\n- Admins trained, agents not yet.\n- {contact} remains positive about the project but wants "
     "a simpler rollout plan.\n- Next step: revised plan by Friday.",
     "slow_adoption"),
    ("Yellow", "email", "The signature thing",
     "Hi,\n\nHonestly this is the most irritating thing: every time I open a ticket, the editor forgets my "
     "signature and I have to paste it in again. It's a small thing, but I do it forty times a day. Is there a "
     "fix coming?\n\n{contact}",
     "open_support_issues"),
    ("Yellow", "chat", None,
     "still in holiday mode here, let's reconnect after the 15th",
     "limited_engagement"),
    ("Yellow", "email", "Annual vendor review",
     "Hi,\n\nWe've kicked off our annual vendor review, and yours is one of about thirty contracts on the list. "
     "Could you send a one-page summary of what we use and what it costs? There's no particular concern behind "
     "this, it's standard for us.\n\nRegards,\n{contact}\nVendor Management | {company}",
     "renewal_uncertain"),
    ("Yellow", "ticket", "Saved filters disappear after logout",
     "Saved filters disappear after logout\nSaved filters in the ticket list are gone when I log out and back in. "
     "Recreating them takes a few minutes each time. Using Edge on Windows 11.",
     "open_support_issues"),
    ("Yellow", "call_note", None,
     "Call with {contact}.\n- Wants to drop the premium SLA add-on at renewal; they have not opened a P1 in a "
     "year.\n- Core subscription and seats stay the same.\n- Next step: send the updated order form without the "
     "add-on.",
     "pricing_concerns"),
    ("Yellow", "chat", None,
     "we've got 50 seats but maybe 20 log in weekly. not sure how to get the rest going tbh, any ideas?",
     "slow_adoption"),
    ("Yellow", "email", "Re: New release",
     "Hi,\n\nI've forwarded your note about the new release to the team. I'm not sure anyone will have time to "
     "look at it before the end of the quarter, but it's on the list.\n\nThanks,\n{contact}",
     "limited_engagement"),
    ("Yellow", "ticket", "Import von Kontakten schneidet Umlaute ab",
     "Import von Kontakten schneidet Umlaute ab\nBeim CSV-Import werden Namen mit Umlauten abgeschnitten, z. B. "
     "wird aus „Müller“ nur „M“. Wenn wir die Datei vorher als UTF-8 speichern, klappt es. Ist das so gewollt?",
     "open_support_issues"),
    ("Yellow", "email", "Tarif au renouvellement",
     "Bonjour Madame Laurent,\n\nNous préparons notre budget pour l'année prochaine. Pourriez-vous nous indiquer "
     "si le tarif de notre abonnement évoluera au renouvellement ? Aucune décision n'est encore prise de notre "
     "côté.\n\nBien à vous,\n{contact}",
     "pricing_concerns"),
    ("Yellow", "chat", None,
     "ciao, sai dirmi dove si cambia la lingua delle notifiche? alcuni colleghi le ricevono ancora in inglese",
     "open_support_issues"),
    ("Yellow", "call_note", None,
     "Reunião com {contact}.\n- A equipe de São Paulo usa a plataforma só para abrir chamados; o time do Rio "
     "ainda não começou.\n- Ela disse que falta alguém para liderar o treinamento por lá.\n- Próximo passo: "
     "agendar um treinamento remoto para o Rio.",
     "slow_adoption"),
    ("Yellow", "email", "Nueva responsable de la plataforma",
     "Hola,\n\nOs escribo para presentaros a Lucía Ortega, que desde el lunes se encarga de la plataforma en "
     "nuestro equipo. Yo paso a coordinar el área de ventas, pero seguiré en copia durante las próximas semanas."
     "\n\nUn saludo,\n{contact}",
     "executive_change"),
    # --- Green: health, growth or advocacy
    ("Green", "email", "PO for next year",
     "Hi team,\n\nGood news to end the week: our purchasing department issued the PO for next year's "
     "subscription this morning, same scope as this year. Thank you for making the process painless.\n\nBest,\n"
     "{contact}\nOperations Manager | {company}",
     "renewal_confirmed"),
    ("Green", "call_note", None,
     "QBR with {company}.\n- Service team fully live; {contact} wants to bring the field sales team (about 60 "
     "users) onto the platform in Q2.\n- Asked for a quote and a rollout plan.\n- Next step: loop in our AE for "
     "the quote this week.",
     "expansion_interest"),
    ("Green", "chat", None,
     "the new macros are a game changer, cleared our backlog in a morning 🙌",
     "positive_feedback"),
    ("Green", "ticket", "Closing - import fixed",
     "Closing - import fixed\nThe import job has run cleanly three nights in a row since your engineer's patch. "
     "Your support team turned this around faster than any vendor we work with. Please close the ticket.",
     "quick_support_resolution"),
    ("Green", "email", "Joint case study",
     "Hello,\n\nOur communications team would love to feature our work with you in a joint case study; the drop "
     "in response times has been the highlight of our year. Who should they talk to on your side?\n\nWarm "
     "regards,\n{contact}\nHead of Customer Care, {company}",
     "engaged_champion"),
    ("Green", "call_note", None,
     "Usage review with {contact}.\n- 94% of licensed agents active weekly; the Manila team went live last month."
     "\n- They now run every escalation through the workflow builder.\n- Next step: share the benchmark report "
     "with their VP.",
     "strong_adoption"),
    ("Green", "email", "Upgrade to Enterprise",
     "Hi,\n\nWe'd like to move to the Enterprise tier at the renewal so that our security team gets SSO and "
     "audit exports. Could you send the upgrade pricing for 180 users?\n\nThanks,\n{contact}\nIT Manager, "
     "{company}",
     "expansion_interest"),
    ("Green", "chat", None,
     "just signed the renewal, 3 yrs this time 🎉 thanks for all the help",
     "renewal_confirmed"),
    ("Green", "email", "A reference",
     "Hi,\n\nA peer at another logistics firm asked me about your platform at a conference last week and I gave "
     "you a glowing review. Feel free to pass my details on to anyone else who wants a reference.\n\nBest,\n"
     "{contact}",
     "engaged_champion"),
    ("Green", "ticket", "Feedback: new report builder",
     "Feedback: new report builder\nNot a problem, just feedback: the new report builder is excellent. Our "
     "analysts built the monthly pack in an hour instead of a day. Whoever designed the drag-and-drop deserves a "
     "raise.",
     "positive_feedback"),
    ("Green", "call_note", None,
     "Call with {contact}.\n- Accepted the invitation to the customer advisory board and will present their "
     "onboarding automation at the spring meeting.\n- Satisfied with the roadmap direction.\n- Next step: send "
     "the board agenda.",
     "engaged_champion"),
    ("Green", "email", "Thanks to Kwame",
     "Hello,\n\nI wanted to pass on my thanks to Kwame in support. He spotted the misconfigured routing rule "
     "within ten minutes of our call, something our own team had missed for a week. That kind of support is why "
     "we recommend you.\n\nKind regards,\n{contact}",
     "quick_support_resolution"),
    ("Green", "chat", None,
     "fun stat: we passed 10k resolved tickets in the platform this month, whole company's on it now",
     "strong_adoption"),
    ("Green", "email", "A workspace for our parent company",
     "Hi,\n\nOur parent company in Canada has seen our dashboards and wants its own workspace for about 40 "
     "people. Could you set up a call with your sales team? I'm happy to join and explain how we've set things "
     "up.\n\n{contact}",
     "expansion_interest"),
    ("Green", "ticket", "Thanks - permissions issue solved",
     "Thanks - permissions issue solved\nThe permissions problem from this morning is solved; the team can see "
     "their queues again. Two hours from report to fix, with a clear explanation: that's the standard we wish "
     "all our vendors kept.",
     "quick_support_resolution"),
    ("Green", "call_note", None,
     "Renewal call with {contact} and procurement.\n- Two-year renewal agreed at current seat count; signature "
     "expected Thursday.\n- {contact} said the platform is 'part of how we work now'.\n- Next step: send the "
     "DocuSign envelope.",
     "renewal_confirmed"),
    ("Green", "email", "Internal tools survey",
     "Hi team,\n\nWe ran our annual internal tools survey and your platform came out top of 23 applications for "
     "ease of use. I thought you'd like to know, and please share it with your product people.\n\nCheers,\n"
     "{contact}",
     "positive_feedback"),
    ("Green", "chat", None,
     "can u send me pricing for the WhatsApp add-on? we want it live for the holiday season",
     "expansion_interest"),
    ("Green", "email", "Six months in",
     "Hello,\n\nA short update after our first six months: all eight regional offices now handle their service "
     "requests in the platform, and average resolution time is down from three days to one. The old email "
     "aliases were switched off last week.\n\nBest regards,\n{contact}\nHead of Service Delivery | {company}",
     "strong_adoption"),
    ("Green", "call_note", None,
     "EBR with {company} leadership.\n- Their CEO called the platform 'the backbone of our service model'.\n- "
     "Plan to add the analytics module and 25 seats for the new Berlin hub at renewal.\n- Next step: AE to send "
     "the expanded order form.",
     "expansion_interest"),
    ("Green", "ticket", "Beta of the AI summaries",
     "Beta of the AI summaries\nCount us in for the beta of the new AI summaries. We already recommend you to "
     "every team we meet at the user group, and we'd love to give structured feedback every week.",
     "engaged_champion"),
    ("Green", "email", "Budget confirmed",
     "Hi,\n\nOur budget for next year has been confirmed and the subscription is in it, so please go ahead and "
     "prepare the renewal paperwork for signature in March. Same seats, same modules.\n\nThank you,\n{contact}\n"
     "Finance, {company}",
     "renewal_confirmed"),
    ("Green", "chat", None,
     "wow that was fast, 20 min from ticket to fix. you guys are the best support team we deal with, seriously",
     "quick_support_resolution"),
    ("Green", "call_note", None,
     "Check-in with {contact}.\n- Integration with their ERP went live on Monday; orders now flow into the "
     "platform automatically.\n- 300 users onboarded, daily use across finance and ops.\n- Next step: share API "
     "usage best practices.",
     "strong_adoption"),
    ("Green", "email", "Seats for the summer season",
     "Hello,\n\nWe have hired twelve new agents for the summer season and would like to add 15 seats from 1 "
     "June. Please send the order form and we'll sign it straight away.\n\nThanks,\n{contact}",
     "expansion_interest"),
    ("Green", "email", "The mobile app",
     "Hi all,\n\nJust a quick note to say the new mobile app has gone down a storm with our engineers. They're "
     "closing jobs on site rather than doing paperwork in the van, and the feedback has been brilliant.\n\nMany "
     "thanks,\n{contact}",
     "positive_feedback"),
    ("Green", "ticket", "Second workspace for our new brand",
     "Second workspace for our new brand\nWe are launching a second brand in October and want to run it on the "
     "platform as a separate workspace. Please let us know what we need to order and how long setup takes.",
     "expansion_interest"),
    ("Green", "call_note", None,
     "Call with {contact}.\n- Has agreed to speak on the customer panel at our summit in May.\n- Shared that she "
     "has introduced us to two peers in her industry network.\n- Next step: brief her on panel topics.",
     "engaged_champion"),
    ("Green", "chat", None,
     "no need to chase on renewal btw, we're staying. finance just needs the invoice by the 10th",
     "renewal_confirmed"),
    ("Green", "email", "Appreciation for go-live support",
     "Dear Team,\n\nThis is to appreciate the prompt support extended by your team during our go-live weekend. "
     "All issues were resolved within hours and the rollout completed as planned. Our management is very happy "
     "with the platform.\n\nThanks and regards,\n{contact}\nAssistant Manager - CRM\n{company}",
     "quick_support_resolution"),
    ("Green", "email", "Half-year numbers",
     "Hi,\n\nI finished the numbers for our half-year review: since we moved to the platform, first-contact "
     "resolution went from 58% to 74% and we've cut overtime in the contact centre by a third. The team uses it "
     "for everything now.\n\nBest,\n{contact}",
     "strong_adoption"),
    ("Green", "call_note", None,
     "Call with {contact} about the Latin America rollout.\n- Confirmed they will roll out to Mexico and Colombia "
     "next quarter, 70 seats in total.\n- Spanish knowledge base needed for launch.\n- Next step: quote for 70 "
     "seats plus the localisation package.",
     "expansion_interest"),
    ("Green", "ticket", "Compliment for the onboarding team",
     "Compliment for the onboarding team\nI'd like to leave feedback for the onboarding team: the migration plan "
     "was clear, every deadline was met and our agents were productive on day one. The smoothest software "
     "project we've done in years.",
     "positive_feedback"),
    ("Green", "chat", None,
     "finally got the last team off spreadsheets, 100% on the platform now!",
     "strong_adoption"),
    ("Green", "email", "Another year",
     "Hello,\n\nWe're happy to continue for another year, please send the renewal contract. One small thing for "
     "your product team: the colour contrast in the dark theme is a bit low for some of our staff.\n\nRegards,\n"
     "{contact}\nCustomer Services Manager, {company}",
     "renewal_confirmed"),
    ("Green", "email", "Review posted",
     "Hi,\n\nYou asked a while back whether we'd write a review. I posted one on a software review site "
     "yesterday, five stars, and mentioned the reporting and your support team by name. Hope it helps!\n\n"
     "{contact}",
     "engaged_champion"),
    ("Green", "call_note", None,
     "Monthly sync with {contact}.\n- Their agents rate the new inbox 4.6 out of 5 in the internal pulse survey."
     "\n- Small request: bulk-close for spam tickets.\n- Next step: log the feature request.",
     "positive_feedback"),
    ("Green", "chat", None,
     "our HR team wants in too 😄 can we add like 10 seats for them next month?",
     "expansion_interest"),
    ("Green", "email", "Three-year term",
     "Hi,\n\nAfter reviewing the options, our leadership decided to commit to a three-year term with you. Legal "
     "is finishing the paperwork and you should have the signed agreement by the end of next week.\n\nKind "
     "regards,\n{contact}\nChief Operating Officer | {company}",
     "renewal_confirmed"),
    ("Green", "ticket", "Resolved: missing invoices in portal",
     "Resolved: missing invoices in portal\nThe invoices are now visible in the billing portal. Thanks for "
     "sorting it within the hour, and for the clear explanation of the cause; it's the reason we keep "
     "recommending you internally.",
     "quick_support_resolution"),
    ("Green", "email", "Sharing a win",
     "Hi team,\n\nSharing a win: our quality team now reviews every conversation in the platform instead of "
     "sampling by hand, and customer satisfaction rose four points this quarter. Thanks for the help getting "
     "the scorecards set up.\n\nBest,\n{contact}",
     "strong_adoption"),
    ("Green", "call_note", None,
     "Coffee with {contact} in Amsterdam.\n- Has become our strongest internal advocate: presented the platform "
     "at their global ops meeting.\n- Two other regions asked her for a demo.\n- Next step: prepare a demo kit "
     "she can reuse.",
     "engaged_champion"),
    ("Green", "chat", None,
     "the new search is sooo much faster, found a 2019 ticket in 2 seconds. great work",
     "positive_feedback"),
    ("Green", "email", "Extending to underwriting",
     "Hello,\n\nFollowing the pilot with our claims team, we'd like to extend the platform to underwriting as "
     "well, roughly 45 users. Could you prepare an offer including the workflow module?\n\nBest regards,\n"
     "{contact}\nHead of Operations, {company}",
     "expansion_interest"),
    ("Green", "chat", None,
     "all 3 warehouses are live on the mobile scanner now, the team loves it",
     "strong_adoption"),
    ("Green", "email", "Verlängerung freigegeben",
     "Hallo Frau Schäfer,\n\nkurze Info: Die Verlängerung um weitere zwei Jahre ist intern freigegeben, die "
     "Bestellung geht diese Woche raus. Das Team arbeitet inzwischen komplett mit der Plattform.\n\nViele Grüße\n"
     "{contact}\n{company}",
     "renewal_confirmed"),
    ("Green", "call_note", None,
     "Point mensuel avec {contact}.\n- Le déploiement sur le site de Nantes est terminé, les équipes l'utilisent "
     "au quotidien.\n- Ils souhaitent ajouter 35 licences pour le site de Bordeaux au prochain trimestre.\n- "
     "Prochaine étape : envoyer un devis.",
     "expansion_interest"),
    ("Green", "chat", None,
     "el nuevo panel de informes es una maravilla, nos ahorra horas cada lunes 👏",
     "positive_feedback"),
    ("Green", "email", "Disponibilità come referenza",
     "Gentile team,\n\nsaremmo lieti di fare da referenza per altri clienti del settore sanitario. In un anno la "
     "piattaforma ha dimezzato i tempi di risposta del nostro servizio clienti.\n\nCordiali saluti,\n{contact}\n"
     "{company}",
     "engaged_champion"),
    ("Green", "ticket", "Opgelost, bedankt!",
     "Opgelost, bedankt!\nHet koppelingsprobleem met ons boekhoudpakket is binnen een uur verholpen. Jullie "
     "supportteam is echt het beste waar we mee werken, complimenten aan Joost.",
     "quick_support_resolution"),
]

# Each account: (name, team, segment, renewal in days, ARR, lifecycle, health mix as Red/Yellow/Green weights)
ACCOUNTS: list[tuple[str, str, str, int, float, str, tuple[int, int, int]]] = [
    ("Northwind Logistics", "emea", "enterprise", 35, 240_000, "renewal", (6, 3, 1)),
    ("Bluefin Analytics", "emea", "mid-market", 150, 82_000, "adoption", (1, 3, 6)),
    ("Harbor Health", "emea", "enterprise", 75, 310_000, "expansion", (2, 3, 5)),
    ("Keystone Retail", "emea", "smb", 20, 18_000, "renewal", (5, 4, 1)),
    ("Lumen Energy", "emea", "mid-market", 200, 64_000, "onboarding", (3, 5, 2)),
    ("Orbital Freight", "emea", "enterprise", 110, 185_000, "adoption", (1, 2, 7)),
    ("Cedar & Pine Legal", "americas", "smb", 50, 24_000, "renewal", (2, 6, 2)),
    ("Quantum Foods", "americas", "enterprise", 300, 420_000, "expansion", (1, 2, 7)),
    ("Riverstone Bank", "americas", "enterprise", 40, 365_000, "renewal", (6, 3, 1)),
    ("Summit Education", "americas", "mid-market", 95, 47_000, "adoption", (2, 5, 3)),
    ("Vela Robotics", "americas", "mid-market", 180, 96_000, "onboarding", (5, 3, 2)),
    ("Zephyr Media", "americas", "smb", 260, 15_000, "adoption", (1, 4, 5)),
]

CONTACTS = ["Ana Souza", "Ben Carter", "Chen Wei", "Dora Novak", "Emeka Obi", "Fatima Khan", "Greta Lind",
            "Hiro Tanaka", "Ines Duarte", "Jonas Berg", "Kemi Adeyemi", "Lars Holm"]


def labelled_messages() -> list[tuple[str, str]]:
    """The demo messages as labelled text (the intended colour), filled in and cleaned as Pulse cleans text
    before scoring it: a small evaluation set of customer-success text written for Pulse."""
    from pipelines.clean import clean_text

    return [(clean_text(body.format(contact="Ana Souza", company="Northwind")), label)
            for label, _kind, _subject, body, _reason in MESSAGES]
