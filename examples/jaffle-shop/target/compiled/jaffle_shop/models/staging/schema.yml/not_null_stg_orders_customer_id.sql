
    
    



select customer_id
from "jaffle_shop"."main"."stg_orders"
where customer_id is null


