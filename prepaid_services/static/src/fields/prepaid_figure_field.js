import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { formatMonetary } from "@web/views/fields/formatters";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/* An amount of the deferred revenue rollforward that opens what stands behind it: the journal items of a
   movement, the open top-ups of an ageing bucket. On a card's row it opens the card's; on the form, the
   company's. The server decides what that is (action_open_figure of the rollforward). */
export class PrepaidFigureField extends Component {
    static template = "prepaid_services.PrepaidFigureField";
    static props = { ...standardFieldProps };

    setup() {
        this.action = useService("action");
    }

    get value() {
        return this.props.record.data[this.props.name];
    }

    get formattedValue() {
        return formatMonetary(this.value, { currencyId: this.props.record.data.currency_id?.id });
    }

    async openFigure() {
        const record = this.props.record;
        const root = record.model.root;
        const isRoot = record === root;
        const scope = isRoot ? "total" : record.data.scope || "card";
        const cardId = (!isRoot && record.data.service_id?.id) || false;
        if (!(await root.save())) {
            return;
        }
        await this.action.doActionButton({
            type: "object",
            resModel: root.resModel,
            resId: root.resId,
            name: "action_open_figure",
            args: JSON.stringify([this.props.name, scope, cardId]),
        });
    }
}

registry.category("fields").add("prepaid_figure", {
    component: PrepaidFigureField,
    displayName: _t("Prepaid Figure"),
    supportedTypes: ["monetary"],
});
